// SPDX-License-Identifier: GPL-2.0
/*
 * C glue for the synthesizer card's capture PCM (Linux 7.2 has no Rust PCM
 * abstraction): one capture substream, S16_LE stereo at one fixed rate, a
 * vmalloc buffer managed by the PCM core (so mmap works), batch pointer
 * updates. The ops call back into Rust (rust/port/pcm.rs), which renders into
 * the buffer from an hrtimer and reports the rendered position. Nothing here
 * decides anything.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include <sound/core.h>
#include <sound/pcm.h>

#include "glue.h"

/* What the PCM's private_data carries: Rust's ops and the one rate. */
struct dmus_pcm {
	void *data;
	unsigned int rate;
};

static int dmus_pcm_open(struct snd_pcm_substream *s)
{
	struct dmus_pcm *p = snd_pcm_substream_chip(s);
	struct snd_pcm_runtime *runtime = s->runtime;

	runtime->hw = (struct snd_pcm_hardware) {
		.info = SNDRV_PCM_INFO_MMAP | SNDRV_PCM_INFO_MMAP_VALID |
			SNDRV_PCM_INFO_INTERLEAVED | SNDRV_PCM_INFO_BLOCK_TRANSFER |
			SNDRV_PCM_INFO_BATCH,
		.formats = SNDRV_PCM_FMTBIT_S16_LE,
		.rates = SNDRV_PCM_RATE_KNOT,
		.rate_min = p->rate,
		.rate_max = p->rate,
		.channels_min = 2,
		.channels_max = 2,
		.buffer_bytes_max = 512 * 1024,
		.period_bytes_min = 64 * 4,
		.period_bytes_max = 256 * 1024,
		.periods_min = 2,
		.periods_max = 1024,
	};
	return snd_dmus_pcm_open(p->data, s);
}

static int dmus_pcm_close(struct snd_pcm_substream *s)
{
	struct dmus_pcm *p = snd_pcm_substream_chip(s);

	snd_dmus_pcm_close(p->data, s);
	return 0;
}

static int dmus_pcm_prepare(struct snd_pcm_substream *s)
{
	struct dmus_pcm *p = snd_pcm_substream_chip(s);

	return snd_dmus_pcm_prepare(p->data, s);
}

static int dmus_pcm_trigger(struct snd_pcm_substream *s, int cmd)
{
	struct dmus_pcm *p = snd_pcm_substream_chip(s);

	switch (cmd) {
	case SNDRV_PCM_TRIGGER_START:
	case SNDRV_PCM_TRIGGER_RESUME:
		snd_dmus_pcm_trigger(p->data, s, 1);
		return 0;
	case SNDRV_PCM_TRIGGER_STOP:
	case SNDRV_PCM_TRIGGER_SUSPEND:
		snd_dmus_pcm_trigger(p->data, s, 0);
		return 0;
	default:
		return -EINVAL;
	}
}

static snd_pcm_uframes_t dmus_pcm_pointer(struct snd_pcm_substream *s)
{
	struct dmus_pcm *p = snd_pcm_substream_chip(s);

	return snd_dmus_pcm_pointer(p->data, s);
}

static const struct snd_pcm_ops dmus_pcm_ops = {
	.open = dmus_pcm_open,
	.close = dmus_pcm_close,
	.prepare = dmus_pcm_prepare,
	.trigger = dmus_pcm_trigger,
	.pointer = dmus_pcm_pointer,
};

static void dmus_pcm_private_free(struct snd_pcm *pcm)
{
	kfree(pcm->private_data);
}

/*
 * One capture PCM (device 0, one substream) whose ops call Rust with @data,
 * at @rate frames per second. The card frees it.
 */
int dmus_glue_pcm_new(struct snd_card *card, const char *name, void *data, unsigned int rate,
		      struct snd_pcm **out)
{
	struct dmus_pcm *p;
	struct snd_pcm *pcm;
	int err;

	p = kzalloc_obj(*p);
	if (!p)
		return -ENOMEM;
	p->data = data;
	p->rate = rate;
	err = snd_pcm_new(card, "DMusSynth", 0, 0, 1, &pcm);
	if (err < 0) {
		kfree(p);
		return err;
	}
	pcm->private_data = p;
	pcm->private_free = dmus_pcm_private_free;
	pcm->info_flags = 0;
	strscpy(pcm->name, name);
	snd_pcm_set_ops(pcm, SNDRV_PCM_STREAM_CAPTURE, &dmus_pcm_ops);
	snd_pcm_set_managed_buffer_all(pcm, SNDRV_DMA_TYPE_VMALLOC, NULL, 0, 0);
	*out = pcm;
	return 0;
}

/*
 * The substream's buffer as configured by hw_params: its start, its size
 * and period size in frames (after prepare; S16_LE stereo, 4 bytes a frame).
 */
void *dmus_glue_pcm_buffer(struct snd_pcm_substream *s, unsigned long *buffer_frames,
			   unsigned long *period_frames)
{
	struct snd_pcm_runtime *runtime = s->runtime;

	*buffer_frames = runtime->buffer_size;
	*period_frames = runtime->period_size;
	return runtime->dma_area;
}
