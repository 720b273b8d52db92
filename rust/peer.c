// SPDX-License-Identifier: GPL-2.0
/*
 * snd-dmus-peer: the in-tree MPU-401 UART driver (snd-mpu401-uart, the
 * library behind snd-mpu401) on the virtual MPU-401s that snd-dmus-mpu401
 * creates with peer=N, one ALSA card each, so that both drivers run on
 * identical chips and make bench can compare them. A measuring instrument:
 *
 *	modprobe snd-dmus-mpu401 virt=1 peer=1
 *	modprobe snd-dmus-peer
 *
 * The card is what snd-mpu401 makes on an ISA port (snd_mpu401_uart_new:
 * rawmidi device "MPU-401U", input and output), except that the registers
 * are the model's (read and write hooks, MPU401_INFO_INTEGRATED: no I/O
 * ports) and the interrupt is the chip's simulated line, requested here
 * with the same flags the library uses and handed to
 * snd_mpu401_uart_interrupt (MPU401_INFO_IRQ_HOOK). Output is the library's
 * own: written from the trigger and a one-jiffy timer.
 *
 * One thing is added around the library: its output timer can outlive its
 * removal. snd_mpu401_uart_remove_timer() calls timer_delete(), not the _sync
 * variant, and the callback re-arms itself unconditionally, so when the last
 * byte goes out on one CPU while the callback starts on the other, the timer
 * keeps running with timer_invoked == 0; the next output trigger then calls
 * timer_setup() on a pending timer, which corrupts the timer wheel (a
 * general protection fault in __run_timer_base, or "ODEBUG: init active" on a
 * kernel with DEBUG_OBJECTS_TIMERS), and the card's free leaves it firing on
 * freed memory. dmus_peer_output_trigger() re-arms the existing timer with
 * mod_timer() before the library's trigger runs, so the library never calls
 * timer_setup() twice, and removal shuts the timer down.
 *
 * Second, the timer can be removed with bytes pending: the library's trigger
 * adds the timer (only setting its bit when it is held) before it takes
 * output_lock, and an interrupt on the other CPU that found the buffer empty
 * just before this write's bytes were published then removes it; the bytes
 * the trigger could not fit into the chip's FIFO wait for the next interrupt
 * or write. dmus_peer_output_trigger() holds the timer again after the
 * library's trigger when nothing holds it. The rest of the output path, and
 * its cost, is the library's.
 */

#include <linux/device/faux.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <sound/core.h>
#include <sound/initval.h>
#include <sound/mpu401.h>

#include "peer.h"

struct dmus_peer {
	struct faux_device *fdev;
	struct snd_card *card;
	struct snd_mpu401 *mpu;
	const struct dmus_peer_chip *chip;
	bool irq;
	/* Times the library's output timer was found running after its removal. */
	unsigned int stray_timers;
};

static struct dmus_peer dmus_peers[SNDRV_CARDS];
static unsigned int dmus_npeers;

static unsigned char peer_read(struct snd_mpu401 *mpu, unsigned long addr)
{
	const struct dmus_peer *p = mpu->private_data;

	return dmus_peer_read(p->chip, addr - mpu->port);
}

static void peer_write(struct snd_mpu401 *mpu, unsigned char data, unsigned long addr)
{
	const struct dmus_peer *p = mpu->private_data;

	dmus_peer_write(p->chip, data, addr - mpu->port);
}

/* The library's output ops (snd_mpu401_uart_output), saved at the first probe. */
static const struct snd_rawmidi_ops *dmus_peer_lib_output;

/*
 * The library's output trigger, except that when its output timer has been
 * set up once and no mode holds it now, the timer is (re-)armed here, under
 * the library's timer_lock, and marked as held by output: the library's
 * snd_mpu401_uart_add_timer() then only sets the bit instead of calling
 * timer_setup() on a timer that may still be pending (see the top of file).
 */
static void dmus_peer_output_trigger(struct snd_rawmidi_substream *substream, int up)
{
	struct snd_mpu401 *mpu = substream->rmidi->private_data;

	if (up) {
		guard(spinlock_irqsave)(&mpu->timer_lock);
		if (!mpu->timer_invoked && mpu->timer.function) {
			if (timer_pending(&mpu->timer))
				((struct dmus_peer *)mpu->private_data)->stray_timers++;
			mod_timer(&mpu->timer, 1 + jiffies);
			mpu->timer_invoked |= MPU401_MODE_OUTPUT_TIMER;
		}
	}
	dmus_peer_lib_output->trigger(substream, up);
	if (up) {
		/*
		 * The library's interrupt may have removed the timer between
		 * its trigger's add_timer and output_write, with this write's
		 * bytes pending (see the top of file): hold it again.
		 */
		guard(spinlock_irqsave)(&mpu->timer_lock);
		if (!mpu->timer_invoked && mpu->timer.function) {
			mod_timer(&mpu->timer, 1 + jiffies);
			mpu->timer_invoked |= MPU401_MODE_OUTPUT_TIMER;
		}
	}
}

static int dmus_peer_output_open(struct snd_rawmidi_substream *substream)
{
	return dmus_peer_lib_output->open(substream);
}

static int dmus_peer_output_close(struct snd_rawmidi_substream *substream)
{
	return dmus_peer_lib_output->close(substream);
}

static const struct snd_rawmidi_ops dmus_peer_output_ops = {
	.open = dmus_peer_output_open,
	.close = dmus_peer_output_close,
	.trigger = dmus_peer_output_trigger,
};

/* Puts dmus_peer_output_ops in front of the library's output ops. */
static int dmus_peer_wrap_output(struct snd_rawmidi *rmidi)
{
	struct snd_rawmidi_str *out = &rmidi->streams[SNDRV_RAWMIDI_STREAM_OUTPUT];
	const struct snd_rawmidi_ops *ops;
	struct snd_rawmidi_substream *substream;

	substream = list_first_entry_or_null(&out->substreams, struct snd_rawmidi_substream, list);
	if (!substream)
		return -ENODEV;
	ops = substream->ops;
	/* The library's ops are open, close and trigger; anything else is not wrapped. */
	if (!ops || !ops->open || !ops->close || !ops->trigger || ops->drain)
		return -ENODEV;
	if (!dmus_peer_lib_output)
		dmus_peer_lib_output = ops;
	else if (ops != dmus_peer_lib_output)
		return -ENODEV;
	snd_rawmidi_set_ops(rmidi, SNDRV_RAWMIDI_STREAM_OUTPUT, &dmus_peer_output_ops);
	return 0;
}

static irqreturn_t dmus_peer_interrupt(int irq, void *dev_id)
{
	return snd_mpu401_uart_interrupt(irq, dev_id);
}

static void dmus_peer_remove(struct dmus_peer *p)
{
	if (p->irq)
		free_irq(p->chip->irq, p->mpu);
	/* No file is open (the module is going), so only a stray timer re-arms. */
	if (p->mpu && p->mpu->timer.function)
		timer_shutdown_sync(&p->mpu->timer);
	if (p->stray_timers)
		dev_info(&p->fdev->dev, "the library's output timer ran on after its removal %u times\n",
			 p->stray_timers);
	if (p->card)
		snd_card_free(p->card);
	faux_device_destroy(p->fdev);
	memset(p, 0, sizeof(*p));
}

static int dmus_peer_probe(struct dmus_peer *p, const struct dmus_peer_chip *chip)
{
	struct snd_rawmidi *rmidi;
	char name[32];
	int err;

	p->chip = chip;
	snprintf(name, sizeof(name), "snd-dmus-peer.%u", chip->index);
	p->fdev = faux_device_create(name, NULL, NULL);
	if (!p->fdev)
		return -ENOMEM;
	err = snd_card_new(&p->fdev->dev, -1, NULL, THIS_MODULE, 0, &p->card);
	if (err < 0) {
		dev_err(&p->fdev->dev, "cannot create the ALSA card: %d\n", err);
		goto fail;
	}
	strscpy(p->card->driver, "MPU-401 UART");
	snprintf(p->card->shortname, sizeof(p->card->shortname), "MPU-401 UART peer%u",
		 chip->index);
	snprintf(p->card->longname, sizeof(p->card->longname),
		 "snd-mpu401-uart on virtual MPU-401 peer%u, irq %u", chip->index, chip->irq);
	err = snd_mpu401_uart_new(p->card, 0, MPU401_HW_MPU401, 0,
				  MPU401_INFO_INTEGRATED | MPU401_INFO_IRQ_HOOK, -1, &rmidi);
	if (err < 0) {
		dev_err(&p->fdev->dev, "snd_mpu401_uart_new: %d\n", err);
		goto fail;
	}
	p->mpu = rmidi->private_data;
	p->mpu->private_data = p;
	p->mpu->read = peer_read;
	p->mpu->write = peer_write;
	err = dmus_peer_wrap_output(rmidi);
	if (err) {
		dev_err(&p->fdev->dev, "the library's rawmidi output ops are not the ones wrapped here\n");
		goto fail;
	}
	/* What snd_mpu401_uart_new requests for an ISA card's line. */
	err = request_irq(chip->irq, dmus_peer_interrupt, 0, "MPU401 UART", p->mpu);
	if (err) {
		dev_err(&p->fdev->dev, "cannot request irq %u: %d\n", chip->irq, err);
		goto fail;
	}
	p->irq = true;
	err = snd_card_register(p->card);
	if (err < 0) {
		dev_err(&p->fdev->dev, "cannot register the ALSA card: %d\n", err);
		goto fail;
	}
	dev_info(&p->fdev->dev, "%s on card %d\n", p->card->longname, p->card->number);
	return 0;

fail:
	dmus_peer_remove(p);
	return err;
}

static void dmus_peer_remove_all(void)
{
	while (dmus_npeers > 0)
		dmus_peer_remove(&dmus_peers[--dmus_npeers]);
}

static int __init dmus_peer_init(void)
{
	const struct dmus_peer_chip *chip;
	int err;

	while (dmus_npeers < SNDRV_CARDS && (chip = dmus_peer_get(dmus_npeers))) {
		err = dmus_peer_probe(&dmus_peers[dmus_npeers], chip);
		if (err) {
			dmus_peer_remove_all();
			return err;
		}
		dmus_npeers++;
	}
	if (!dmus_npeers) {
		pr_err("snd-dmus-peer: no chip: load snd-dmus-mpu401 with peer=N first\n");
		return -ENODEV;
	}
	return 0;
}

static void __exit dmus_peer_exit(void)
{
	dmus_peer_remove_all();
}

module_init(dmus_peer_init);
module_exit(dmus_peer_exit);

MODULE_DESCRIPTION("snd-mpu401-uart on snd-dmus-mpu401's virtual MPU-401s (a measuring instrument)");
MODULE_AUTHOR("snd-dmus-mpu401 maintainers <maintainers@users.noreply.b-seed-ed14b38d.example>");
MODULE_LICENSE("GPL");
