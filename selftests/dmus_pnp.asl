/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An ACPI table for the test VM (QEMU -acpitable): a generic MPU-401,
 * PNPB006, at I/O 0x300-0x301 with IRQ 5, as a motherboard's firmware
 * declares one. Nothing answers at that port in QEMU, so the module's PnP
 * probe runs and must fail cleanly. Compiled with iasl (acpica-tools).
 */
DefinitionBlock ("", "SSDT", 2, "DMUS", "MPU401", 1)
{
    Scope (\_SB)
    {
        Device (MPU0)
        {
            Name (_HID, EisaId ("PNPB006"))
            Name (_UID, 0)
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x0300, 0x0300, 0x01, 0x02)
                IRQNoFlags () {5}
            })
            Method (_STA, 0, NotSerialized)
            {
                Return (0x0F)
            }
        }
    }
}
