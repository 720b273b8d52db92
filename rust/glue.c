// SPDX-License-Identifier: GPL-2.0
/*
 * C glue for what Linux 7.2 offers no Rust abstraction for: ALSA cards and
 * rawmidi devices, tasklets, simulated interrupts, port I/O cookies,
 * spin_lock_irqsave, platform devices with resources and PCI I/O BARs
 * (params.c and pnp.c hold the array parameters and the PnP driver, for the
 * same reason). Every function is a thin wrapper over a kernel API (static
 * inlines and macros cannot be called from Rust); the safe Rust layers over
 * them are rust/port/alsa.rs,
 * rust/port/tasklet.rs, rust/port/irqlock.rs, rust/mpu401/io.rs and
 * rust/virt/simirq.rs. Nothing here decides anything.
 */
#include <linux/compat.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/irq.h>
#include <linux/irq_sim.h>
#include <linux/irqdomain.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <sound/core.h>
#include <sound/hwdep.h>
#include <sound/rawmidi.h>

#include "uapi/snd_dmus.h"

#include "glue.h"

/* --- rawmidi: the ops call back into Rust (rust/port/alsa.rs) ------------ */

static int dmus_output_open(struct snd_rawmidi_substream *s)
{
	return snd_dmus_rawmidi_open(s->rmidi->private_data, s, SNDRV_RAWMIDI_STREAM_OUTPUT);
}

static int dmus_output_close(struct snd_rawmidi_substream *s)
{
	return snd_dmus_rawmidi_close(s->rmidi->private_data, s, SNDRV_RAWMIDI_STREAM_OUTPUT);
}

static void dmus_output_trigger(struct snd_rawmidi_substream *s, int up)
{
	snd_dmus_rawmidi_trigger(s->rmidi->private_data, s, SNDRV_RAWMIDI_STREAM_OUTPUT, up);
}

static void dmus_output_drain(struct snd_rawmidi_substream *s)
{
	snd_dmus_rawmidi_drain(s->rmidi->private_data, s);
}

static int dmus_input_open(struct snd_rawmidi_substream *s)
{
	return snd_dmus_rawmidi_open(s->rmidi->private_data, s, SNDRV_RAWMIDI_STREAM_INPUT);
}

static int dmus_input_close(struct snd_rawmidi_substream *s)
{
	return snd_dmus_rawmidi_close(s->rmidi->private_data, s, SNDRV_RAWMIDI_STREAM_INPUT);
}

static void dmus_input_trigger(struct snd_rawmidi_substream *s, int up)
{
	snd_dmus_rawmidi_trigger(s->rmidi->private_data, s, SNDRV_RAWMIDI_STREAM_INPUT, up);
}

static const struct snd_rawmidi_ops dmus_output_ops = {
	.open = dmus_output_open,
	.close = dmus_output_close,
	.trigger = dmus_output_trigger,
	.drain = dmus_output_drain,
};

static const struct snd_rawmidi_ops dmus_input_ops = {
	.open = dmus_input_open,
	.close = dmus_input_close,
	.trigger = dmus_input_trigger,
};

/* A card of this module (its owner: THIS_MODULE) for @parent. */
int dmus_glue_card_new(struct device *parent, int idx, const char *id, struct snd_card **card)
{
	return snd_card_new(parent, idx, id, THIS_MODULE, 0, card);
}

void dmus_glue_card_set_names(struct snd_card *card, const char *driver,
			      const char *shortname, const char *longname)
{
	strscpy(card->driver, driver);
	strscpy(card->shortname, shortname);
	strscpy(card->longname, longname);
	strscpy(card->mixername, shortname);
}

/* The card's number: /dev/snd/controlC<number>. */
int dmus_glue_card_number(struct snd_card *card)
{
	return card->number;
}

/*
 * One rawmidi device: an output substream, and an input one when @input
 * (duplex).
 */
int dmus_glue_rawmidi_new(struct snd_card *card, const char *name, void *data, bool input,
			  struct snd_rawmidi **out)
{
	struct snd_rawmidi *rmidi;
	int err;

	err = snd_rawmidi_new(card, "DMusMPU401", 0, 1, input ? 1 : 0, &rmidi);
	if (err < 0)
		return err;
	strscpy(rmidi->name, name);
	rmidi->info_flags = SNDRV_RAWMIDI_INFO_OUTPUT;
	if (input)
		rmidi->info_flags |= SNDRV_RAWMIDI_INFO_INPUT | SNDRV_RAWMIDI_INFO_DUPLEX;
	rmidi->private_data = data;
	snd_rawmidi_set_ops(rmidi, SNDRV_RAWMIDI_STREAM_OUTPUT, &dmus_output_ops);
	if (input)
		snd_rawmidi_set_ops(rmidi, SNDRV_RAWMIDI_STREAM_INPUT, &dmus_input_ops);
	*out = rmidi;
	return 0;
}

/* --- hwdep: the DMus device; the ops call back into Rust (rust/port/hwdep.rs) --- */

/*
 * The layouts rust/port/timed.rs and rust/port/dmusdev.rs encode field by
 * field (and whose sizes its ioctl numbers carry): the header is the one
 * source, these keep the Rust side honest.
 */
static_assert(sizeof(struct snd_dmus_buffer) == 16);
static_assert(sizeof(struct snd_dmus_event) == 20);
static_assert(sizeof(struct snd_dmus_info) == 96);
static_assert(offsetof(struct snd_dmus_info, name) == 32);
static_assert(sizeof(struct snd_dmus_clock) == 24);
static_assert(sizeof(struct snd_dmus_status) == 56);
static_assert(offsetof(struct snd_dmus_status, state) == 48);
static_assert(_IOR('H', 0xd1, char[96]) == SND_DMUS_IOCTL_INFO);

/*
 * The hwdep core hands read() and write() no struct file, so each open file
 * gets a slot number from Rust, kept in file->f_pos: the device is not
 * seekable (no llseek op, and nonseekable_open() refuses pread/pwrite), and
 * read() and write() leave the position as it is. The position the VFS
 * passes them is not that slot for every caller (io_uring passes the offset
 * its request names), so an open file's operations are a copy of the hwdep
 * core's with read and write replaced by the module's, which take the slot
 * from the file itself. Everything else (release first) stays the core's
 * own code: after release drops the last reference to this module, no code
 * of the module runs for the file.
 */
static const struct file_operations *dmus_hwdep_fops;
static DEFINE_MUTEX(dmus_hwdep_fops_lock);

static ssize_t dmus_hwdep_file_read(struct file *file, char __user *buf, size_t count,
				    loff_t *offset)
{
	struct snd_hwdep *hw = file->private_data;

	return snd_dmus_hwdep_read(hw->private_data, file->f_pos, buf, count);
}

static ssize_t dmus_hwdep_file_write(struct file *file, const char __user *buf, size_t count,
				     loff_t *offset)
{
	struct snd_hwdep *hw = file->private_data;

	return snd_dmus_hwdep_write(hw->private_data, file->f_pos, buf, count);
}

/*
 * The module's operations, made from the core's (@core) at the first open,
 * with a reference on their owner, this module (which keeps snd-hwdep
 * loaded); NULL when out of memory.
 */
static const struct file_operations *dmus_hwdep_fops_get(const struct file_operations *core)
{
	guard(mutex)(&dmus_hwdep_fops_lock);
	if (!dmus_hwdep_fops) {
		struct file_operations *const fops = kmemdup(core, sizeof(*core), GFP_KERNEL);

		if (!fops)
			return NULL;
		fops->owner = THIS_MODULE;
		fops->read = dmus_hwdep_file_read;
		fops->write = dmus_hwdep_file_write;
		dmus_hwdep_fops = fops;
	}
	return fops_get(dmus_hwdep_fops);
}

/* At unload, when no file has them any more. */
void dmus_glue_hwdep_exit(void)
{
	kfree(dmus_hwdep_fops);
	dmus_hwdep_fops = NULL;
}

/* Called by the hwdep core's open, with the core's operations in file->f_op. */
static int dmus_hwdep_open(struct snd_hwdep *hw, struct file *file)
{
	const struct file_operations *fops;
	int slot, err;

	err = nonseekable_open(file_inode(file), file);
	if (err)
		return err;
	fops = dmus_hwdep_fops_get(file->f_op);
	if (!fops)
		return -ENOMEM;
	slot = snd_dmus_hwdep_open(hw->private_data, (file->f_mode & FMODE_WRITE) != 0,
				   (file->f_flags & O_NONBLOCK) != 0);
	if (slot < 0) {
		fops_put(fops);
		return slot;
	}
	replace_fops(file, fops);
	file->f_pos = slot;
	return 0;
}

static int dmus_hwdep_release(struct snd_hwdep *hw, struct file *file)
{
	snd_dmus_hwdep_release(hw->private_data, file->f_pos);
	return 0;
}

static __poll_t dmus_hwdep_poll(struct snd_hwdep *hw, struct file *file, poll_table *wait)
{
	return snd_dmus_hwdep_poll(hw->private_data, file->f_pos, file, wait);
}

static int dmus_hwdep_ioctl(struct snd_hwdep *hw, struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	return snd_dmus_hwdep_ioctl(hw->private_data, file->f_pos, cmd, arg);
}

/* A 32-bit caller's argument: its pointers made 64-bit (the structures have one layout). */
static int dmus_hwdep_ioctl_compat(struct snd_hwdep *hw, struct file *file, unsigned int cmd,
				   unsigned long arg)
{
	return dmus_hwdep_ioctl(hw, file, cmd, (unsigned long)compat_ptr(arg));
}

/* The card's DMus device: hwdep 0, id "DMus", iface SND_DMUS_HWDEP_IFACE. */
int dmus_glue_hwdep_new(struct snd_card *card, const char *name, void *data,
			struct snd_hwdep **out)
{
	struct snd_hwdep *hw;
	int err;

	err = snd_hwdep_new(card, SND_DMUS_HWDEP_ID, 0, &hw);
	if (err < 0)
		return err;
	strscpy(hw->name, name);
	hw->iface = SND_DMUS_HWDEP_IFACE;
	hw->private_data = data;
	hw->ops.open = dmus_hwdep_open;
	hw->ops.release = dmus_hwdep_release;
	hw->ops.poll = dmus_hwdep_poll;
	hw->ops.ioctl = dmus_hwdep_ioctl;
	hw->ops.ioctl_compat = dmus_hwdep_ioctl_compat;
	*out = hw;
	return 0;
}

/* --- tasklets ------------------------------------------------------------ */

struct dmus_tasklet {
	struct tasklet_struct tasklet;
	void (*fn)(void *data);
	void *data;
};

static void dmus_tasklet_run(struct tasklet_struct *t)
{
	struct dmus_tasklet *d = from_tasklet(d, t, tasklet);

	d->fn(d->data);
}

struct dmus_tasklet *dmus_glue_tasklet_new(void (*fn)(void *data), void *data)
{
	struct dmus_tasklet *d = kzalloc(sizeof(*d), GFP_KERNEL);

	if (!d)
		return NULL;
	d->fn = fn;
	d->data = data;
	tasklet_setup(&d->tasklet, dmus_tasklet_run);
	return d;
}

void dmus_glue_tasklet_schedule(struct dmus_tasklet *d)
{
	tasklet_schedule(&d->tasklet);
}

void dmus_glue_tasklet_free(struct dmus_tasklet *d)
{
	tasklet_kill(&d->tasklet);
	kfree(d);
}

/* --- spin_lock_irqsave (rust/port/irqlock.rs) --------------------------- */

unsigned long dmus_glue_spin_lock_irqsave(spinlock_t *lock)
{
	unsigned long flags;

	spin_lock_irqsave(lock, flags);
	return flags;
}

void dmus_glue_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
	spin_unlock_irqrestore(lock, flags);
}

/* --- simulated interrupts for the virtual MPU-401 ----------------------- */

struct dmus_simirq {
	struct fwnode_handle *fwnode;
	struct irq_domain *domain;
};

struct dmus_simirq *dmus_glue_simirq_new(unsigned int count)
{
	struct dmus_simirq *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return NULL;
	s->fwnode = irq_domain_alloc_named_fwnode("snd-dmus-mpu401-virt");
	if (!s->fwnode)
		goto err_free;
	s->domain = irq_domain_create_sim(s->fwnode, count);
	if (IS_ERR(s->domain))
		goto err_fwnode;
	return s;

err_fwnode:
	irq_domain_free_fwnode(s->fwnode);
err_free:
	kfree(s);
	return NULL;
}

/* The Linux IRQ number of simulated line @hwirq, 0 on failure. */
unsigned int dmus_glue_simirq_map(struct dmus_simirq *s, unsigned int hwirq)
{
	return irq_create_mapping(s->domain, hwirq);
}

/* Raises @irq: its handler runs from irq_work, in hard-IRQ context. */
void dmus_glue_simirq_raise(unsigned int irq)
{
	irq_set_irqchip_state(irq, IRQCHIP_STATE_PENDING, true);
}

void dmus_glue_simirq_free(struct dmus_simirq *s, unsigned int count)
{
	unsigned int i, irq;

	for (i = 0; i < count; i++) {
		irq = irq_find_mapping(s->domain, i);
		if (irq)
			irq_dispose_mapping(irq);
	}
	irq_domain_remove_sim(s->domain);
	irq_domain_free_fwnode(s->fwnode);
	kfree(s);
}

/* --- platform devices with resources ------------------------------------ */

/*
 * Registers platform device @name.@id (PLATFORM_DEVID_AUTO: a free number),
 * a child of @parent (NULL: none), with an I/O range [@port, @port + 1] when
 * @port is non-zero and an IRQ when @irq is positive. The probe of the
 * driver called @name runs now.
 */
struct platform_device *dmus_glue_platform_register(const char *name, struct device *parent,
						    int id, unsigned long port, int irq)
{
	struct resource res[2] = {};
	struct platform_device_info info = {
		.parent = parent,
		.name = name,
		.id = id,
		.res = res,
	};

	if (port) {
		res[info.num_res].start = port;
		res[info.num_res].end = port + 1;
		res[info.num_res].flags = IORESOURCE_IO;
		res[info.num_res].name = name;
		info.num_res++;
	}
	if (irq > 0) {
		res[info.num_res].start = irq;
		res[info.num_res].end = irq;
		res[info.num_res].flags = IORESOURCE_IRQ;
		res[info.num_res].name = name;
		info.num_res++;
	}
	return platform_device_register_full(&info);
}

/*
 * The device slot (0 to DMUS_SLOTS - 1) of platform device @dev: its id when
 * the module gave it one below DMUS_SLOTS (ISA and PnP devices), else -1
 * (virtual and PCI devices).
 */
int dmus_glue_platform_slot(struct device *dev)
{
	struct platform_device *pdev = to_platform_device(dev);

	if (pdev->id_auto || pdev->id < 0 || pdev->id >= DMUS_SLOTS)
		return -1;
	return pdev->id;
}

/* --- PCI: an I/O BAR (Linux 7.2's Rust pci::Bar maps memory BARs only) --- */

/* Enables PCI device @dev (managed: disabled again on unbind). */
int dmus_glue_pci_enable(struct device *dev)
{
	return pcim_enable_device(to_pci_dev(dev));
}

/*
 * Whether BAR @bar (0-5, checked by the caller) of PCI device @dev is an I/O
 * BAR with ports (Linux 7.2's Rust pci::Device has resource_start and
 * resource_len, not the flags).
 */
bool dmus_glue_pci_bar_is_io(struct device *dev, int bar)
{
	struct pci_dev *pci = to_pci_dev(dev);

	return (pci_resource_flags(pci, bar) & IORESOURCE_IO) && pci_resource_len(pci, bar);
}

/*
 * The device called @name on the platform bus (@pci false) or the PCI bus,
 * with a reference the caller drops with put_device(); NULL when none is.
 * Linux 7.2's Rust Device gives no struct device pointer to a module: the C
 * calls that need one (ALSA, port I/O, PCI I/O) look the device up by the
 * name Device::name() gives, which is unique on its bus.
 */
struct device *dmus_glue_device_get(bool pci, const char *name)
{
	return bus_find_device_by_name(pci ? &pci_bus_type : &platform_bus_type, NULL, name);
}

/* Whether a driver bound to @pdev (its probe succeeded). */
bool dmus_glue_platform_bound(struct platform_device *pdev)
{
	return device_is_bound(&pdev->dev);
}

int dmus_glue_spin_trylock_irqsave(spinlock_t *lock, unsigned long *flags)
{
	return spin_trylock_irqsave(lock, *flags);
}

/*
 * The I/O port range of platform device @dev (its first IORESOURCE_IO
 * resource; Linux 7.2's Rust platform API looks only at memory resources):
 * stores its start in @start and reserves it with request_region(). Returns
 * 0, -ENOENT when the device has no I/O range, -EBUSY when it is taken.
 */
int dmus_glue_request_ports(struct device *dev, unsigned long *start, unsigned long *len)
{
	struct resource *res;

	res = platform_get_resource(to_platform_device(dev), IORESOURCE_IO, 0);
	if (!res)
		return -ENOENT;
	*start = res->start;
	*len = resource_size(res);
	if (!request_region(*start, *len, "MPU-401 UART"))
		return -EBUSY;
	return 0;
}

void dmus_glue_release_ports(unsigned long start, unsigned long len)
{
	release_region(start, len);
}

/*
 * Output bytes waiting in @s's buffer. snd_rawmidi_kernel_write1() publishes
 * the bytes of a user write (runtime->avail) before it copies them with the
 * lock dropped, so a transmit from interrupt context may see bytes that are
 * not there yet; what is pending when the write path calls trigger(1), after
 * its copy, is safe to send. The core fix (copy, then publish) is
 * Documentation/patches/0001-ALSA-rawmidi-copy-a-user-write-before-publishing-it.patch;
 * scripts/rawmidi-race.sh reproduces the race and checks the fix.
 */
int dmus_glue_output_pending(struct snd_rawmidi_substream *s)
{
	unsigned long flags;
	int n = 0;

	spin_lock_irqsave(&s->lock, flags);
	if (s->runtime)
		n = s->runtime->buffer_size - s->runtime->avail;
	spin_unlock_irqrestore(&s->lock, flags);
	return n;
}

/* Waits until @d is neither scheduled nor running (process context). */
void dmus_glue_tasklet_kill(struct dmus_tasklet *d)
{
	tasklet_kill(&d->tasklet);
}

/* --- the peer's chips (rust/peer.h) ------------------------------------- */

static struct dmus_peer_chip dmus_peer_chips[DMUS_SLOTS];
static unsigned int dmus_peer_count;

/*
 * Publishes chip @n (called in order from 0, at module init, before any
 * other module can use the chips).
 */
void dmus_glue_peer_publish(unsigned int n, void *io, unsigned int irq)
{
	if (n >= DMUS_SLOTS || n != dmus_peer_count)
		return;
	dmus_peer_chips[n] = (struct dmus_peer_chip){ .io = io, .irq = irq, .index = n };
	dmus_peer_count = n + 1;
}

/* At module exit: no module using the chips is loaded any more. */
void dmus_glue_peer_withdraw(void)
{
	dmus_peer_count = 0;
}

const struct dmus_peer_chip *dmus_peer_get(unsigned int n)
{
	return n < dmus_peer_count ? &dmus_peer_chips[n] : NULL;
}
EXPORT_SYMBOL_GPL(dmus_peer_get);

u8 dmus_peer_read(const struct dmus_peer_chip *chip, unsigned long addr)
{
	return snd_dmus_peer_read(chip->io, addr);
}
EXPORT_SYMBOL_GPL(dmus_peer_read);

void dmus_peer_write(const struct dmus_peer_chip *chip, u8 data, unsigned long addr)
{
	snd_dmus_peer_write(chip->io, data, addr);
}
EXPORT_SYMBOL_GPL(dmus_peer_write);
