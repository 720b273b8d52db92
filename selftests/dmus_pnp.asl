/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An ACPI table for the test VM (QEMU -acpitable): two generic MPU-401s,
 * PNPB006, as a motherboard's firmware declares them: MPU0 at I/O
 * 0x300-0x301 with IRQ 5, MPU1 at 0x320-0x321 with no IRQ (the driver
 * polls it). Nothing answers at those ports in QEMU, so the module's PnP
 * probes run and must fail cleanly. Compiled with iasl (acpica-tools).
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

        Device (MPU1)
        {
            Name (_HID, EisaId ("PNPB006"))
            Name (_UID, 1)
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x0320, 0x0320, 0x01, 0x02)
            })
            Method (_STA, 0, NotSerialized)
            {
                Return (0x0F)
            }
        }
    }
}
