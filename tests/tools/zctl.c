// SPDX-License-Identifier: GPL-2.0
/*
 * zctl: small test helper that reports the exact errno of a system call, which
 * shell redirections cannot do.
 *
 *   zctl write FILE STRING     write STRING (C escapes \n \t \\ \0 \xHH are
 *                              decoded) in one write(2); prints OK or the errno
 *                              name (EINVAL, ...)
 *   zctl open FILE [ro|rw]     open(2) only; prints OK or the errno name
 *   zctl writelen FILE N       write N bytes of 'a' in one write(2)
 *   zctl badptr FILE           write(2) from an unmapped user address
 *
 * Exit status: 0 when the result was printed, 2 on usage errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "write")) {
		char *buf = malloc(strlen(argv[3]) + 1);
		size_t n = unescape(argv[3], buf);
		int fd = open_or_report(argv[2], O_WRONLY);

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
	fprintf(stderr, "usage: see the header of zctl.c\n");
	return 2;
}
