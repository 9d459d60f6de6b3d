// SPDX-License-Identifier: GPL-2.0
/*
 * C wrappers of kernel inline functions that zloop_rs needs and that the Rust
 * bindings of the kernel do not export: the role rust/helpers/ plays in the
 * kernel tree, which an out-of-tree module cannot extend. Called only from
 * kapi/ (declared in kapi/mod.rs).
 */
#include <linux/blk-mq.h>
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/filelock.h>
#include <linux/security.h>
#include <linux/sched/signal.h>

bool zloop_rs_misc_name_taken(const char *name);
void zloop_rs_kiocb_start_write(struct kiocb *iocb);
void zloop_rs_kiocb_end_write(struct kiocb *iocb);
bool zloop_rs_should_fake_timeout(struct request *rq);
int zloop_rs_unlink(struct file *dir, struct file *file);
int zloop_rs_sync_fs(struct file *file);
int zloop_rs_rename(struct file *dir, const char *from, const char *to);
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

/*
 * Removes the directory entry of the open @file from the open directory @dir,
 * as filename_unlinkat() does once it has looked the name up: write access to
 * the mount, the parent locked and the entry checked (still hashed, still in
 * @dir, @dir not deleted) by start_removing_dentry(), the LSM hook, and a
 * delegation on the file broken (waiting for it) and the removal retried.
 * -EINVAL or -ENOENT if the entry is no longer there.
 */
int zloop_rs_unlink(struct file *dir, struct file *file)
{
	struct delegated_inode delegated = { };
	struct dentry *parent = dir->f_path.dentry;
	struct dentry *child;
	int err;

	err = mnt_want_write_file(dir);
	if (err)
		return err;
retry:
	child = start_removing_dentry(parent, file->f_path.dentry);
	if (IS_ERR(child)) {
		err = PTR_ERR(child);
	} else {
		err = security_path_unlink(&dir->f_path, child);
		if (!err)
			err = vfs_unlink(mnt_idmap(dir->f_path.mnt), d_inode(parent),
					 child, &delegated);
		end_removing(child);
		if (is_delegated(&delegated)) {
			err = break_deleg_wait(&delegated);
			if (!err)
				goto retry;
		}
	}
	mnt_drop_write_file(dir);
	return err;
}

/*
 * Renames the entry @from of the open directory @dir to @to in the same
 * directory, replacing @to if it exists, as filename_renameat2() does once it
 * has the parent: write access to the mount, both names looked up and the
 * parent locked by start_renaming(), the LSM hook, and a delegation broken
 * (waiting for it) and the rename retried.
 */
int zloop_rs_rename(struct file *dir, const char *from, const char *to)
{
	struct delegated_inode delegated = { };
	struct qstr old_last = QSTR(from), new_last = QSTR(to);
	struct renamedata rd;
	int err;

	err = mnt_want_write_file(dir);
	if (err)
		return err;
retry:
	memset(&rd, 0, sizeof(rd));
	rd.mnt_idmap = mnt_idmap(dir->f_path.mnt);
	rd.old_parent = dir->f_path.dentry;
	rd.new_parent = dir->f_path.dentry;
	rd.delegated_inode = &delegated;
	err = start_renaming(&rd, 0, &old_last, &new_last);
	if (!err) {
		err = security_path_rename(&dir->f_path, rd.old_dentry,
					   &dir->f_path, rd.new_dentry, 0);
		if (!err)
			err = vfs_rename(&rd);
		end_renaming(&rd);
	}
	if (is_delegated(&delegated)) {
		err = break_deleg_wait(&delegated);
		if (!err)
			goto retry;
	}
	mnt_drop_write_file(dir);
	return err;
}

/*
 * Writes back and waits for everything of the file system that @file is on
 * (sync_filesystem(), under s_umount as syncfs(2) takes it).
 */
int zloop_rs_sync_fs(struct file *file)
{
	struct super_block *sb = file_inode(file)->i_sb;
	int err;

	down_read(&sb->s_umount);
	err = sync_filesystem(sb);
	up_read(&sb->s_umount);
	return err;
}

/* The current task was killed (SIGKILL, or a fatal signal it does not handle). */
bool zloop_rs_fatal_signal_pending(void)
{
	return fatal_signal_pending(current);
}

/*
 * Whether a misc device called @name is registered already (its directory in
 * sysfs exists): registering a second one makes sysfs print a stack dump.
 */
bool zloop_rs_misc_name_taken(const char *name)
{
	char buf[64];
	struct path path;

	if (snprintf(buf, sizeof(buf), "/sys/class/misc/%s", name) >= sizeof(buf))
		return false;
	if (kern_path(buf, 0, &path))
		return false;
	path_put(&path);
	return true;
}
