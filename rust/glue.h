/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the C files of the module share: the per-device module parameters
 * (params.c), the platform device helpers (glue.c) and the PnP front end
 * (pnp.c). Rust sees the same functions through rust/glue.rs.
 */
#ifndef DMUS_GLUE_H
#define DMUS_GLUE_H

#include <linux/device.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/spinlock.h>
#include <linux/platform_device.h>
#include <linux/types.h>

#include "peer.h"

/* Device slots of the array parameters (as ALSA's SNDRV_CARDS). */
#define DMUS_SLOTS 8

/* The MPU-401 platform driver's name (the PnP driver's too). */
#define DMUS_DRIVER_NAME "snd_dmus_mpu401"

struct dmus_simirq;
struct dmus_tasklet;
struct file;
struct poll_table_struct;
struct snd_card;
struct snd_hwdep;
struct snd_pcm;
struct snd_pcm_substream;
struct snd_rawmidi;
struct snd_rawmidi_substream;

/* Rust (rust/port/alsa.rs): the rawmidi ops, called by glue.c's */
int snd_dmus_rawmidi_open(void *data, struct snd_rawmidi_substream *s, int stream);
int snd_dmus_rawmidi_close(void *data, struct snd_rawmidi_substream *s, int stream);
void snd_dmus_rawmidi_trigger(void *data, struct snd_rawmidi_substream *s, int stream, int up);
void snd_dmus_rawmidi_drain(void *data, struct snd_rawmidi_substream *s);

/* Rust (rust/port/hwdep.rs): the DMus device's hwdep ops, called by glue.c's */
int snd_dmus_hwdep_open(void *data, bool writer, bool nonblock);
void snd_dmus_hwdep_release(void *data, long long slot);
long snd_dmus_hwdep_read(void *data, long long slot, char __user *buf, long count);
long snd_dmus_hwdep_write(void *data, long long slot, const char __user *buf, long count);
unsigned int snd_dmus_hwdep_poll(void *data, long long slot, struct file *file,
				 struct poll_table_struct *wait);
int snd_dmus_hwdep_ioctl(void *data, long long slot, unsigned int cmd, unsigned long arg);

/* Rust (rust/port/pcm.rs): the synthesizer's capture PCM ops, called by pcm.c's */
int snd_dmus_pcm_open(void *data, struct snd_pcm_substream *s);
void snd_dmus_pcm_close(void *data, struct snd_pcm_substream *s);
int snd_dmus_pcm_prepare(void *data, struct snd_pcm_substream *s);
void snd_dmus_pcm_trigger(void *data, struct snd_pcm_substream *s, int up);
unsigned long snd_dmus_pcm_pointer(void *data, struct snd_pcm_substream *s);

/* Rust (rust/virt/peer.rs): the peer's chips' registers, called by glue.c's */
u8 snd_dmus_peer_read(void *io, unsigned long addr);
void snd_dmus_peer_write(void *io, u8 data, unsigned long addr);

/* glue.c */
int dmus_glue_hwdep_new(struct snd_card *card, const char *name, void *data,
			struct snd_hwdep **out);
void dmus_glue_hwdep_exit(void);
struct platform_device *dmus_glue_platform_register(const char *name, struct device *parent,
						    int id, unsigned long port, int irq);
bool dmus_glue_platform_bound(struct platform_device *pdev);
int dmus_glue_card_new(struct device *parent, int idx, const char *id, struct snd_card **card);
void dmus_glue_card_set_names(struct snd_card *card, const char *driver, const char *shortname,
			      const char *longname);
int dmus_glue_card_number(struct snd_card *card);
int dmus_glue_output_pending(struct snd_rawmidi_substream *s);
int dmus_glue_pci_enable(struct device *dev);
void dmus_glue_peer_publish(unsigned int n, void *io, unsigned int irq);
void dmus_glue_peer_withdraw(void);
bool dmus_glue_pci_bar_is_io(struct device *dev, int bar);
struct device *dmus_glue_device_get(bool pci, const char *name);
int dmus_glue_platform_slot(struct device *dev);
int dmus_glue_rawmidi_new(struct snd_card *card, const char *name, void *data, bool input,
			  struct snd_rawmidi **out);
void dmus_glue_release_ports(unsigned long start, unsigned long len);
int dmus_glue_request_ports(struct device *dev, unsigned long *start, unsigned long *len);
void dmus_glue_simirq_free(struct dmus_simirq *s, unsigned int count);
unsigned int dmus_glue_simirq_map(struct dmus_simirq *s, unsigned int hwirq);
struct dmus_simirq *dmus_glue_simirq_new(unsigned int count);
void dmus_glue_simirq_raise(unsigned int irq);
unsigned long dmus_glue_spin_lock_irqsave(spinlock_t *lock);
int dmus_glue_spin_trylock_irqsave(spinlock_t *lock, unsigned long *flags);
void dmus_glue_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags);
struct dmus_tasklet *dmus_glue_tasklet_new(void (*fn)(void *data), void *data);
void dmus_glue_tasklet_free(struct dmus_tasklet *d);
void dmus_glue_tasklet_kill(struct dmus_tasklet *d);
void dmus_glue_tasklet_schedule(struct dmus_tasklet *d);

/* pcm.c: the synthesizer's capture PCM */
int dmus_glue_pcm_new(struct snd_card *card, const char *name, void *data, unsigned int rate,
		      struct snd_pcm **out);
void *dmus_glue_pcm_buffer(struct snd_pcm_substream *s, unsigned long *buffer_frames,
			   unsigned long *period_frames);

/* params.c: the per-device module parameters */
bool dmus_param_enabled(int slot);
bool dmus_param_slot_is_pnp(int slot);
const char *dmus_param_id(int slot);
int dmus_param_index(int slot);
int dmus_param_irq(int slot);
unsigned long dmus_param_port(int slot);
bool dmus_param_port_bad(int slot);
long dmus_param_port_raw(int slot);
const char *dmus_param_synth_bank(void);

/* pnp.c: the PnP driver */
int dmus_pnp_register(int *found, int *bound);
void dmus_pnp_unregister(void);

#endif /* DMUS_GLUE_H */
