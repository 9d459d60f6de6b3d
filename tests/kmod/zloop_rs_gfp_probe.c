// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module: prints the page-cache allocation mask of a file's
 * mapping, which user space cannot see. The zone files of a live zloop
 * device must have __GFP_IO and __GFP_FS cleared, and get their old mask
 * back when the device goes:
 *
 *   insmod zloop_rs_gfp_probe.ko path=/var/local/zloop/0/seq-000002
 *
 * prints "zloop_gfp_probe: mask=0x<mask> io=<0|1> fs=<0|1>" (or
 * "zloop_gfp_probe: error=<errno>") and stays loaded until rmmod.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/pagemap.h>

static char *path;
module_param(path, charp, 0);

static int __init gfp_probe_init(void)
{
	struct file *file;
	gfp_t mask;

	if (!path)
		return -EINVAL;
	file = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(file)) {
		pr_info("zloop_gfp_probe: error=%ld\n", PTR_ERR(file));
		return 0;
	}
	mask = mapping_gfp_mask(file->f_mapping);
	pr_info("zloop_gfp_probe: mask=0x%x io=%d fs=%d\n", (unsigned int)mask,
		!!(mask & __GFP_IO), !!(mask & __GFP_FS));
	fput(file);
	return 0;
}

static void __exit gfp_probe_exit(void)
{
}

module_init(gfp_probe_init);
module_exit(gfp_probe_exit);
MODULE_DESCRIPTION("zloop_rs tests: print the GFP mask of a file's page cache");
MODULE_LICENSE("GPL");
