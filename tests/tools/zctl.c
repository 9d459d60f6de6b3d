// SPDX-License-Identifier: GPL-2.0
/*
 * zctl: small test helper that reports the exact errno of a system call, which
 * shell redirections cannot do.
 *
 *   zctl write FILE STRING     write STRING (C escapes \n \t \\ \0 \xHH are
 *                              decoded) in one write(2); prints OK or the errno
 *                              name (EINVAL, ...)
 *   zctl write-failnth N FILE STRING  the same, with the N-th fault-injection
 *                              point of that write(2) failing: FILE is opened
 *                              and N written to /proc/thread-self/fail-nth
 *                              first (kernel fault injection: failslab, ...)
 *   zctl open FILE [ro|rw]     open(2) only; prints OK or the errno name
 *   zctl writelen FILE N       write N bytes of 'a' in one write(2)
 *   zctl badptr FILE           write(2) from an unmapped user address
 *   zctl report DEV [FIRST [N]]  one line per zone from BLKREPORTZONE:
 *                              "<zone> <start> <len> <wp> <cond> <type> <cap>"
 *                              (sectors, decimal; wp as reported, -1 if none)
 *   zctl zone OP DEV ZONE [N]  OP = open|close|finish|reset on N zones from
 *                              zone number ZONE (reset with ZONE=all resets the
 *                              whole device); prints OK or the errno name
 *   zctl pwrite FILE OFF LEN SEED   O_DIRECT write of LEN bytes at byte OFF with
 *                              a pattern derived from SEED and the offset
 *   zctl pread FILE OFF LEN SEED [DATALEN]  O_DIRECT read in one read(2),
 *                              checked against the pattern (SEED "zero": must
 *                              be zeroes; with DATALEN, only the first DATALEN
 *                              bytes hold the pattern and the rest must be
 *                              zeroes); prints OK, "MISMATCH <offset>" or the
 *                              errno name
 *                              With ZCTL_BUF_OFFSET=N in the environment, the
 *                              user buffer of pwrite/pread starts N bytes past
 *                              a page boundary (unaligned direct I/O memory).
 *   zctl fsync FILE            fsync(2) of FILE opened read-write
 *   zctl flushloop FILE OFF LEN N STAT   N times: O_DIRECT write of LEN bytes
 *                              at OFF, then fdatasync(2); STAT is the sysfs
 *                              stat file of a block device: prints the number
 *                              of fdatasyncs after which that device's flush
 *                              counter (field 16) had not moved, or the errno
 *                              name of a failed call
 *
 * Exit status: 0 when the result was printed, 2 on usage errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/blkzoned.h>
#include <linux/fs.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *errname(int e)
{
	static char buf[16];
	switch (e) {
#define E(x) case x: return #x
	E(EPERM); E(ENOENT); E(EIO); E(ENXIO); E(E2BIG); E(EBADF); E(EAGAIN);
	E(ENOMEM); E(EACCES); E(EFAULT); E(EBUSY); E(EEXIST); E(ENODEV);
	E(ENOTDIR); E(EISDIR); E(EINVAL); E(ENOSPC); E(ESPIPE); E(EROFS);
	E(ERANGE); E(EOPNOTSUPP); E(EINTR); E(ENODATA); E(ETIMEDOUT);
	E(ENOTTY); E(EFBIG); E(EOVERFLOW);
#undef E
	}
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

static size_t unescape(const char *s, char *out)
{
	size_t n = 0;

	while (*s) {
		if (*s != '\\' || !s[1]) {
			out[n++] = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'n': out[n++] = '\n'; s++; break;
		case 't': out[n++] = '\t'; s++; break;
		case 'v': out[n++] = '\v'; s++; break;
		case '0': out[n++] = '\0'; s++; break;
		case '\\': out[n++] = '\\'; s++; break;
		case 'x': {
			char hex[3] = { s[1], s[1] ? s[2] : 0, 0 };
			out[n++] = (char)strtoul(hex, NULL, 16);
			s += 1 + strlen(hex);
			break;
		}
		default: out[n++] = '\\'; break;
		}
	}
	return n;
}

static int report(ssize_t ret)
{
	if (ret < 0)
		printf("%s\n", errname(errno));
	else
		printf("OK\n");
	return 0;
}

static int open_or_report(const char *path, int flags)
{
	int fd = open(path, flags);

	if (fd < 0) {
		printf("%s\n", errname(errno));
		exit(0);
	}
	return fd;
}

static unsigned char pattern(uint64_t seed, uint64_t off)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull ^ (off >> 3) * 0xbf58476d1ce4e5b9ull;

	x ^= x >> 31;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 29;
	return (unsigned char)(x >> ((off & 7) * 8));
}

static int report_zones(const char *dev, uint64_t first, uint64_t n)
{
	int fd = open_or_report(dev, O_RDONLY);
	uint64_t zone_sectors, done = 0;
	struct blk_zone_report *r;
	unsigned int zs;

	if (ioctl(fd, BLKGETZONESZ, &zs) < 0 || !zs)
		return report(-1);
	zone_sectors = zs;
	r = calloc(1, sizeof(*r) + 256 * sizeof(struct blk_zone));
	while (done < n) {
		r->sector = (first + done) * zone_sectors;
		r->nr_zones = n - done < 256 ? n - done : 256;
		if (ioctl(fd, BLKREPORTZONE, r) < 0)
			return report(-1);
		if (!r->nr_zones)
			break;
		for (unsigned int i = 0; i < r->nr_zones; i++) {
			struct blk_zone *z = &r->zones[i];

			printf("%llu %llu %llu %lld %u %u %llu\n",
			       (unsigned long long)(z->start / zone_sectors),
			       (unsigned long long)z->start,
			       (unsigned long long)z->len,
			       (long long)z->wp, z->cond, z->type,
			       (unsigned long long)z->capacity);
		}
		done += r->nr_zones;
	}
	return 0;
}

static int zone_op(const char *op, const char *dev, const char *zone, uint64_t n)
{
	int fd = open_or_report(dev, O_RDWR);
	struct blk_zone_range range;
	unsigned long req;
	unsigned int zs;
	uint64_t size;

	if (ioctl(fd, BLKGETZONESZ, &zs) < 0 || ioctl(fd, BLKGETSIZE64, &size) < 0)
		return report(-1);
	if (!strcmp(op, "open"))
		req = BLKOPENZONE;
	else if (!strcmp(op, "close"))
		req = BLKCLOSEZONE;
	else if (!strcmp(op, "finish"))
		req = BLKFINISHZONE;
	else if (!strcmp(op, "reset"))
		req = BLKRESETZONE;
	else
		return 2;
	if (!strcmp(zone, "all")) {
		range.sector = 0;
		range.nr_sectors = size >> 9;
	} else {
		range.sector = strtoull(zone, NULL, 0) * zs;
		range.nr_sectors = n * zs;
	}
	return report(ioctl(fd, req, &range));
}

static int pio(int write_, const char *file, uint64_t off, size_t len, const char *seedstr,
	       size_t datalen)
{
	int fd = open_or_report(file, (write_ ? O_WRONLY : O_RDONLY) | O_DIRECT);
	int zero = !strcmp(seedstr, "zero");
	uint64_t seed = zero ? 0 : strtoull(seedstr, NULL, 0);
	const char *boffstr = getenv("ZCTL_BUF_OFFSET");
	size_t boff = boffstr ? strtoull(boffstr, NULL, 0) : 0;
	unsigned char *base, *buf;
	ssize_t ret;

	if (posix_memalign((void **)&base, 4096, (len ? len : 4096) + boff))
		return 2;
	buf = base + boff;
	if (write_) {
		for (size_t i = 0; i < len; i++)
			buf[i] = zero ? 0 : pattern(seed, off + i);
		ret = pwrite(fd, buf, len, off);
		if (ret >= 0 && (size_t)ret != len) {
			printf("SHORT %zd\n", ret);
			return 0;
		}
		return report(ret);
	}
	memset(buf, 0xa5, len);
	ret = pread(fd, buf, len, off);
	if (ret < 0)
		return report(ret);
	if ((size_t)ret != len) {
		printf("SHORT %zd\n", ret);
		return 0;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char want = zero || i >= datalen ? 0 : pattern(seed, off + i);

		if (buf[i] != want) {
			printf("MISMATCH %llu\n", (unsigned long long)(off + i));
			return 0;
		}
	}
	return report(0);
}

static long long flush_count(const char *stat)
{
	unsigned long long f[17] = { 0 };
	FILE *fp = fopen(stat, "r");
	int n;

	if (!fp)
		return -1;
	n = fscanf(fp, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9], &f[10],
		   &f[11], &f[12], &f[13], &f[14], &f[15], &f[16]);
	fclose(fp);
	return n == 17 ? (long long)f[15] : -1;
}

/* Writes and flushes in a tight loop: a flush right after a write must reach
 * the backing device however little time passed since the last one. */
static int flush_loop(const char *file, uint64_t off, size_t len, int n, const char *stat)
{
	int fd = open_or_report(file, O_WRONLY | O_DIRECT);
	unsigned char *buf;
	int missed = 0;

	if (posix_memalign((void **)&buf, 4096, len))
		return 2;
	for (int i = 0; i < n; i++) {
		long long before, after;

		memset(buf, i, len);
		if (pwrite(fd, buf, len, off) != (ssize_t)len)
			return report(-1);
		before = flush_count(stat);
		if (fdatasync(fd))
			return report(-1);
		after = flush_count(stat);
		if (before < 0 || after < 0) {
			printf("NOSTAT\n");
			return 0;
		}
		missed += after == before;
	}
	printf("%d\n", missed);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "write")) {
		char *buf = malloc(strlen(argv[3]) + 1);
		size_t n = unescape(argv[3], buf);
		int fd = open_or_report(argv[2], O_WRONLY);

		return report(write(fd, buf, n));
	}
	if (argc >= 5 && !strcmp(argv[1], "write-failnth")) {
		char *buf = malloc(strlen(argv[4]) + 1);
		size_t n = unescape(argv[4], buf);
		int fd = open_or_report(argv[3], O_WRONLY);
		int nth = open("/proc/thread-self/fail-nth", O_WRONLY);

		if (nth < 0 || write(nth, argv[2], strlen(argv[2])) < 0) {
			perror("fail-nth");
			return 2;
		}
		return report(write(fd, buf, n));
	}
	if (argc >= 3 && !strcmp(argv[1], "open")) {
		int flags = argc > 3 && !strcmp(argv[3], "rw") ? O_RDWR : O_RDONLY;

		open_or_report(argv[2], flags);
		return report(0);
	}
	if (argc >= 4 && !strcmp(argv[1], "writelen")) {
		size_t n = strtoul(argv[3], NULL, 0);
		char *buf = malloc(n);
		int fd = open_or_report(argv[2], O_WRONLY);

		memset(buf, 'a', n);
		return report(write(fd, buf, n));
	}
	if (argc >= 3 && !strcmp(argv[1], "badptr")) {
		int fd = open_or_report(argv[2], O_WRONLY);
		char *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		return report(write(fd, p, 16));
	}
	if (argc >= 3 && !strcmp(argv[1], "report"))
		return report_zones(argv[2], argc > 3 ? strtoull(argv[3], NULL, 0) : 0,
				    argc > 4 ? strtoull(argv[4], NULL, 0) : UINT64_MAX);
	if (argc >= 5 && !strcmp(argv[1], "zone"))
		return zone_op(argv[2], argv[3], argv[4], argc > 5 ? strtoull(argv[5], NULL, 0) : 1);
	if (argc >= 6 && (!strcmp(argv[1], "pwrite") || !strcmp(argv[1], "pread")))
		return pio(argv[1][1] == 'w', argv[2], strtoull(argv[3], NULL, 0),
			   strtoull(argv[4], NULL, 0), argv[5],
			   argc > 6 ? strtoull(argv[6], NULL, 0) : SIZE_MAX);
	if (argc >= 7 && !strcmp(argv[1], "flushloop"))
		return flush_loop(argv[2], strtoull(argv[3], NULL, 0), strtoull(argv[4], NULL, 0),
				  atoi(argv[5]), argv[6]);
	if (argc >= 3 && !strcmp(argv[1], "fsync")) {
		int fd = open_or_report(argv[2], O_RDWR);

		return report(fsync(fd));
	}
	fprintf(stderr, "usage: see the header of zctl.c\n");
	return 2;
}
