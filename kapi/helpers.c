// SPDX-License-Identifier: GPL-2.0
/*
 * C wrappers of kernel inline functions that zloop_rs needs and that the Rust
 * bindings of the kernel do not export: the role rust/helpers/ plays in the
 * kernel tree, which an out-of-tree module cannot extend. Called only from
 * kapi/ (declared in kapi/mod.rs).
 */
#include <linux/blk-mq.h>
#include <linux/fs.h>
#include <linux/sched/signal.h>

void zloop_rs_kiocb_start_write(struct kiocb *iocb);
void zloop_rs_kiocb_end_write(struct kiocb *iocb);
bool zloop_rs_should_fake_timeout(struct request *rq);
void zloop_rs_inode_lock_parent(struct inode *inode);
void zloop_rs_inode_unlock(struct inode *inode);
bool zloop_rs_fatal_signal_pending(void);

/* Freeze protection of an async write, taken by the submitter (loop.c does the same). */
void zloop_rs_kiocb_start_write(struct kiocb *iocb)
{
	kiocb_start_write(iocb);
}

/* Drops the freeze protection of kiocb_start_write(), from any context. */
void zloop_rs_kiocb_end_write(struct kiocb *iocb)
{
	kiocb_end_write(iocb);
}

/* fail_io_timeout fault injection: leave this request to the timeout handler. */
bool zloop_rs_should_fake_timeout(struct request *rq)
{
	return blk_should_fake_timeout(rq->q);
}

/* Locks a directory for a change of its entries (unlink). */
void zloop_rs_inode_lock_parent(struct inode *inode)
{
	inode_lock_nested(inode, I_MUTEX_PARENT);
}

void zloop_rs_inode_unlock(struct inode *inode)
{
	inode_unlock(inode);
}

/* The current task was killed (SIGKILL, or a fatal signal it does not handle). */
bool zloop_rs_fatal_signal_pending(void)
{
	return fatal_signal_pending(current);
}
