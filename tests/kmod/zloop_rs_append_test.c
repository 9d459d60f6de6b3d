// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module: issues REQ_OP_ZONE_APPEND bios to a zoned block device,
 * as file systems do, and reports where each one landed. User space has no
 * way to send a zone append to a block device, so the zone-append tests load
 * this module with parameters and read its result lines from the kernel log:
 *
 *   insmod zloop_rs_append_test.ko dev=/dev/zloop0 zone=3 len=65536 count=8 batch=8 seed=1
 *
 * Appends are submitted in batches of `batch` bios (all in flight at once,
 * submitted in index order), `count` in all, each `len` bytes of a pattern
 * derived from `seed` and the append's index. After each batch completes,
 * every successful append is read back at the sector it reported and its
 * data checked. One line per append:
 *
 *   zloop_append_test: i=<index> sector=<sector or -1> status=<errno> data=<ok|bad|->
 *
 * then "zloop_append_test: done count=<n> ok=<appends that succeeded>".
 * The module stays loaded until rmmod (it does nothing after init).
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/completion.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/slab.h>

static char *dev;
module_param(dev, charp, 0);
static unsigned int zone;
module_param(zone, uint, 0);
static unsigned int len = 65536;
module_param(len, uint, 0);
static unsigned int count = 1;
module_param(count, uint, 0);
static unsigned int batch = 1;
module_param(batch, uint, 0);
static unsigned int seed = 1;
module_param(seed, uint, 0);

struct append {
	struct bio *bio;
	struct page *page;
	struct completion done;
	unsigned int index;
};

static u8 pattern(unsigned int index, unsigned int off)
{
	u32 x = (seed * 2654435761u) ^ (index * 40503u) ^ (off * 2246822519u);

	x ^= x >> 15;
	x *= 2246822519u;
	x ^= x >> 13;
	return x;
}

static void append_end_io(struct bio *bio)
{
	struct append *a = bio->bi_private;

	complete(&a->done);
}

static bool check_data(struct block_device *bdev, struct append *a, sector_t sector)
{
	struct page *page = alloc_pages(GFP_KERNEL, get_order(len));
	struct bio *bio;
	bool ok = false;
	u8 *p;

	if (!page)
		return false;
	bio = bio_alloc(bdev, 1, REQ_OP_READ, GFP_KERNEL);
	bio->bi_iter.bi_sector = sector;
	__bio_add_page(bio, page, len, 0);
	if (!submit_bio_wait(bio)) {
		unsigned int i;

		p = page_address(page);
		for (i = 0; i < len; i++)
			if (p[i] != pattern(a->index, i))
				break;
		ok = i == len;
	}
	bio_put(bio);
	__free_pages(page, get_order(len));
	return ok;
}

static int __init append_test_init(void)
{
	struct append *as;
	struct file *file;
	struct block_device *bdev;
	unsigned int i, j, nok = 0;

	if (!dev || !len || len % 4096 || !count || !batch)
		return -EINVAL;
	file = bdev_file_open_by_path(dev, BLK_OPEN_READ | BLK_OPEN_WRITE, NULL, NULL);
	if (IS_ERR(file))
		return PTR_ERR(file);
	bdev = file_bdev(file);
	as = kcalloc(batch, sizeof(*as), GFP_KERNEL);
	if (!as) {
		fput(file);
		return -ENOMEM;
	}

	for (i = 0; i < count; i += batch) {
		unsigned int n = min(batch, count - i);

		for (j = 0; j < n; j++) {
			struct append *a = &as[j];
			unsigned int k;
			u8 *p;

			a->index = i + j;
			init_completion(&a->done);
			a->page = alloc_pages(GFP_KERNEL, get_order(len));
			if (!a->page)
				goto out;
			p = page_address(a->page);
			for (k = 0; k < len; k++)
				p[k] = pattern(a->index, k);
			a->bio = bio_alloc(bdev, 1, REQ_OP_ZONE_APPEND, GFP_KERNEL);
			a->bio->bi_iter.bi_sector = (sector_t)zone * bdev_zone_sectors(bdev);
			__bio_add_page(a->bio, a->page, len, 0);
			a->bio->bi_end_io = append_end_io;
			a->bio->bi_private = a;
		}
		for (j = 0; j < n; j++)
			submit_bio(as[j].bio);
		for (j = 0; j < n; j++)
			wait_for_completion(&as[j].done);
		for (j = 0; j < n; j++) {
			struct append *a = &as[j];
			int status = blk_status_to_errno(a->bio->bi_status);
			sector_t sector = a->bio->bi_iter.bi_sector;
			const char *data = "-";

			if (!status) {
				data = check_data(bdev, a, sector) ? "ok" : "bad";
				nok++;
			}
			pr_info("zloop_append_test: i=%u sector=%lld status=%d data=%s\n",
				a->index, status ? -1LL : (long long)sector, status, data);
			bio_put(a->bio);
			__free_pages(a->page, get_order(len));
		}
	}
out:
	pr_info("zloop_append_test: done count=%u ok=%u\n", count, nok);
	kfree(as);
	fput(file);
	return 0;
}

static void __exit append_test_exit(void)
{
}

module_init(append_test_init);
module_exit(append_test_exit);
MODULE_DESCRIPTION("zloop_rs tests: issue zone append bios and report their sectors");
MODULE_LICENSE("GPL");
