// SPDX-License-Identifier: GPL-2.0

//! File-system calls on the zone files and the device directory: open, stat,
//! truncate, preallocate, extended attributes, fsync, and reading, writing
//! and renaming the small description file.
//!
//! 7.2's `kernel::fs::File` only wraps files received from user space; these
//! functions reach the VFS entry points (`filp_open`, `vfs_getattr`,
//! `vfs_truncate`, `vfs_fallocate`, `vfs_{get,set,remove}xattr`,
//! `vfs_fsync_range`, `kernel_read`, `kernel_write`, and `vfs_rename`
//! through `helpers.c`).

use core::{mem::MaybeUninit, ptr::NonNull};
use kernel::{
    bindings,
    error::{from_err_ptr, to_result},
    ffi::{c_int, c_void},
    fs::File,
    prelude::*,
    sync::aref::ARef,
};

/// Open flags of [`open`].
pub(crate) mod flags {
    use kernel::bindings;

    /// Read only.
    pub(crate) const O_RDONLY: u32 = bindings::O_RDONLY;
    /// Write only.
    pub(crate) const O_WRONLY: u32 = bindings::O_WRONLY;
    /// Truncate the file to 0 bytes.
    pub(crate) const O_TRUNC: u32 = bindings::O_TRUNC;
    /// Do not wait (opening a FIFO for reading returns at once).
    pub(crate) const O_NONBLOCK: u32 = bindings::O_NONBLOCK;
    /// Read and write.
    pub(crate) const O_RDWR: u32 = bindings::O_RDWR;
    /// Create the file if it does not exist.
    pub(crate) const O_CREAT: u32 = bindings::O_CREAT;
    /// With `O_CREAT`: fail with EEXIST if the file exists.
    pub(crate) const O_EXCL: u32 = bindings::O_EXCL;
    /// Direct I/O, bypassing the page cache.
    pub(crate) const O_DIRECT: u32 = bindings::O_DIRECT;
    /// Do not follow a symbolic link at the end of the path.
    pub(crate) const O_NOFOLLOW: u32 = bindings::O_NOFOLLOW;
    /// Fail unless the path is a directory.
    pub(crate) const O_DIRECTORY: u32 = bindings::O_DIRECTORY;
}

/// Opens `path` in the kernel's own context (`filp_open`), creating it with
/// `mode` if `O_CREAT` is in `flags`.
pub(crate) fn open(path: &CStr, flags: u32, mode: u16) -> Result<ARef<File>> {
    // SAFETY: `path` is a valid NUL-terminated string for the whole call;
    // `filp_open` returns a new file reference or an `ERR_PTR`.
    let raw =
        from_err_ptr(unsafe { bindings::filp_open(path.as_char_ptr(), flags as c_int, mode) })?;
    let raw = NonNull::new(raw).ok_or(EINVAL)?;
    // SAFETY: `raw` is a valid `struct file` whose reference we now own, and
    // `File` is a transparent wrapper of `struct file`.
    Ok(unsafe { ARef::from_raw(raw.cast::<File>()) })
}

/// The path of a live file (its `f_path`).
fn path_of(file: &File) -> *const bindings::path {
    // SAFETY: a live file's `f_path` is valid while the file is; only its
    // address is taken here.
    unsafe { &raw const (*file.as_ptr()).__bindgen_anon_1.f_path }
}

/// `vfs_getattr` of `file` for the attributes in `mask`.
fn getattr(file: &File, mask: u32) -> Result<bindings::kstat> {
    let mut st = MaybeUninit::<bindings::kstat>::zeroed();
    // SAFETY: `file` is a live file, so its `f_path` is valid; `st` is
    // writable memory for one `kstat`.
    to_result(unsafe { bindings::vfs_getattr(path_of(file), st.as_mut_ptr(), mask, 0) })?;
    // SAFETY: `kstat` is plain data; it was zeroed and then filled in.
    Ok(unsafe { st.assume_init() })
}

/// Size of `file` in bytes.
pub(crate) fn size(file: &File) -> Result<u64> {
    let st = getattr(file, bindings::STATX_SIZE)?;
    u64::try_from(st.size).map_err(|_| EINVAL)
}

/// What [`size_and_blocks`] returns.
pub(crate) struct Size {
    /// The file size.
    pub(crate) bytes: u64,
    /// Bytes of storage allocated to the file (its blocks).
    pub(crate) allocated: u64,
}

/// Size of `file` and the storage allocated to it.
pub(crate) fn size_and_blocks(file: &File) -> Result<Size> {
    let st = getattr(file, bindings::STATX_SIZE | bindings::STATX_BLOCKS)?;
    Ok(Size {
        bytes: u64::try_from(st.size).map_err(|_| EINVAL)?,
        allocated: st.blocks.saturating_mul(512),
    })
}

/// Truncates (or extends) `file` to `len` bytes.
pub(crate) fn truncate(file: &File, len: u64) -> Result {
    let len = i64::try_from(len).map_err(|_| EINVAL)?;
    // SAFETY: `file` is a live file, so its `f_path` is valid.
    to_result(unsafe { bindings::vfs_truncate(path_of(file), len) })
}

/// `fallocate` mode bits (uapi `linux/falloc.h`, not in the bindings).
pub(crate) mod falloc {
    /// Do not change the file size.
    pub(crate) const KEEP_SIZE: i32 = 0x01;
    /// Deallocate the range (with `KEEP_SIZE`).
    pub(crate) const PUNCH_HOLE: i32 = 0x02;
}

/// `vfs_fallocate` of `len` bytes at `offset` of `file`.
pub(crate) fn fallocate(file: &File, mode: i32, offset: u64, len: u64) -> Result {
    let offset = i64::try_from(offset).map_err(|_| EINVAL)?;
    let len = i64::try_from(len).map_err(|_| EINVAL)?;
    // SAFETY: `file` is a live file opened for writing.
    to_result(unsafe { bindings::vfs_fallocate(file.as_ptr(), mode, offset, len) })
}

/// How direct I/O on a file must be aligned, as a device backed by it
/// forwards its requests' memory unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DioAlign {
    /// The device block size (bytes).
    pub(crate) block_size: u32,
    /// Memory alignment mask of a request's data (alignment - 1).
    pub(crate) mem_mask: u32,
}

/// The direct-I/O alignment of a device backed by `file`, chosen as the C
/// zloop of Linux 7.3 does: the file's `STATX_DIOALIGN` (when it can do
/// direct I/O at all: a memory alignment of 0 says it cannot), else the
/// limits of its file system's block device, else 512 bytes; the block size
/// is the file system block size when that is at most 4 KiB.
pub(crate) fn dio_align(file: &File) -> DioAlign {
    // SAFETY: a live file has a valid inode, whose super block outlives it.
    let sb = unsafe { (*(*file.as_ptr()).f_inode).i_sb };
    // SAFETY: `sb` is valid (see above).
    let (fs_block_size, bdev) = unsafe { ((*sb).s_blocksize, (*sb).s_bdev) };
    let page_mask = (kernel::page::PAGE_SIZE - 1) as u32;
    let mut a = match getattr(file, bindings::STATX_DIOALIGN) {
        Ok(st) if st.result_mask & bindings::STATX_DIOALIGN != 0 && st.dio_mem_align != 0 => {
            DioAlign {
                block_size: st.dio_offset_align,
                mem_mask: (st.dio_mem_align - 1).min(page_mask),
            }
        }
        _ if !bdev.is_null() => {
            // SAFETY: a mounted super block's block device, its disk and
            // queue are valid while the super block is.
            let lim = unsafe { &(*(*(*bdev).bd_disk).queue).limits };
            DioAlign {
                block_size: lim.physical_block_size,
                mem_mask: lim.dma_alignment,
            }
        }
        _ => DioAlign {
            block_size: 512,
            mem_mask: 511,
        },
    };
    if fs_block_size <= 4096 {
        a.block_size = fs_block_size as u32;
    }
    a
}

/// Runs `f` with write access to the mount and file system of `file`
/// (`mnt_want_write_file`: waits while the file system is frozen, fails if
/// it is read-only), as the syscalls do around the `vfs_*xattr` calls.
fn with_write_access(file: &File, f: impl FnOnce() -> c_int) -> Result {
    // SAFETY: `file` is a live file.
    to_result(unsafe { bindings::mnt_want_write_file(file.as_ptr()) })?;
    let ret = f();
    // SAFETY: drops the access taken above.
    unsafe { bindings::mnt_drop_write_file(file.as_ptr()) };
    to_result(ret)
}

/// Sets extended attribute `name` of `file` to `value`.
pub(crate) fn set_xattr(file: &File, name: &CStr, value: &[u8]) -> Result {
    let p = path_of(file);
    with_write_access(file, || {
        // SAFETY: a live file's mount and dentry are valid; `name` and
        // `value` are valid for the call.
        unsafe {
            bindings::vfs_setxattr(
                (*(*p).mnt).mnt_idmap,
                (*p).dentry,
                name.as_char_ptr(),
                value.as_ptr().cast::<c_void>(),
                value.len(),
                0,
            )
        }
    })
}

/// Reads extended attribute `name` of `file` into `buf`; returns its length.
pub(crate) fn get_xattr(file: &File, name: &CStr, buf: &mut [u8]) -> Result<usize> {
    let p = path_of(file);
    // SAFETY: as in `set_xattr`; `buf` is writable for `buf.len()` bytes.
    let ret = unsafe {
        bindings::vfs_getxattr(
            (*(*p).mnt).mnt_idmap,
            (*p).dentry,
            name.as_char_ptr(),
            buf.as_mut_ptr().cast::<c_void>(),
            buf.len(),
        )
    };
    if ret < 0 {
        Err(Error::from_errno(ret as c_int))
    } else {
        Ok(ret as usize)
    }
}

/// Whether `e` says that a file has no such extended attribute (ENODATA,
/// which the kernel crate has no constant for).
pub(crate) fn is_no_xattr(e: Error) -> bool {
    e.to_errno() == -(bindings::ENODATA as c_int)
}

/// Whether `e` says that a file system has no (user) extended attributes.
pub(crate) fn is_no_xattr_support(e: Error) -> bool {
    e.to_errno() == -(bindings::EOPNOTSUPP as c_int)
}

/// Removes extended attribute `name` of `file` (ENODATA if it has none).
pub(crate) fn remove_xattr(file: &File, name: &CStr) -> Result {
    let p = path_of(file);
    with_write_access(file, || {
        // SAFETY: as in `set_xattr`.
        unsafe { bindings::vfs_removexattr((*(*p).mnt).mnt_idmap, (*p).dentry, name.as_char_ptr()) }
    })
}

/// Removes the directory entry of `file`, which must be in directory `dir`,
/// as `unlink(2)` would once it has the entry: with write access to the
/// mount and under the directory's lock, after checking that the entry is
/// still there (EINVAL or ENOENT if it is not).
pub(crate) fn unlink(dir: &File, file: &File) -> Result {
    // SAFETY: both files are live for the call; the helper takes its own
    // references and locks (see kapi/helpers.c).
    to_result(unsafe { super::zloop_rs_unlink(dir.as_ptr(), file.as_ptr()) })
}

/// Writes back and waits for everything of the file system `file` is on
/// (`syncfs(2)`).
pub(crate) fn sync_fs(file: &File) -> Result {
    // SAFETY: `file` is live for the call; the helper takes the
    // superblock's lock itself.
    to_result(unsafe { super::zloop_rs_sync_fs(file.as_ptr()) })
}

/// Reads `file` from byte `pos` into `buf` until `buf` is full or the file
/// ends (`kernel_read`); returns the bytes read.
pub(crate) fn read_at(file: &File, buf: &mut [u8], pos: u64) -> Result<usize> {
    let mut pos = i64::try_from(pos).map_err(|_| EINVAL)?;
    let mut done = 0;
    while done < buf.len() {
        let rest = &mut buf[done..];
        // SAFETY: `file` is a live file; `rest` is writable for its length;
        // `pos` is a valid `loff_t` that `kernel_read` advances.
        let n = unsafe {
            bindings::kernel_read(
                file.as_ptr(),
                rest.as_mut_ptr().cast::<c_void>(),
                rest.len(),
                &mut pos,
            )
        };
        if n < 0 {
            return Err(Error::from_errno(n as c_int));
        }
        if n == 0 {
            break;
        }
        done += n as usize;
    }
    Ok(done)
}

/// Writes all of `buf` to `file` from byte `pos` (`kernel_write`, which
/// takes the file system's freeze protection).
pub(crate) fn write_all_at(file: &File, buf: &[u8], pos: u64) -> Result {
    let mut pos = i64::try_from(pos).map_err(|_| EINVAL)?;
    let mut done = 0;
    while done < buf.len() {
        let rest = &buf[done..];
        // SAFETY: `file` is a live file opened for writing; `rest` is
        // readable for its length; `pos` is a valid `loff_t` that
        // `kernel_write` advances.
        let n = unsafe {
            bindings::kernel_write(
                file.as_ptr(),
                rest.as_ptr().cast::<c_void>(),
                rest.len(),
                &mut pos,
            )
        };
        if n < 0 {
            return Err(Error::from_errno(n as c_int));
        }
        if n == 0 {
            return Err(EIO);
        }
        done += n as usize;
    }
    Ok(())
}

/// Renames the entry `from` of directory `dir` to `to` in the same
/// directory, replacing `to` if it exists, as `rename(2)` would (write
/// access to the mount, the LSM hook, delegations broken).
pub(crate) fn rename(dir: &File, from: &CStr, to: &CStr) -> Result {
    // SAFETY: `dir` is live for the call and the names are NUL-terminated;
    // the helper takes its own references and locks (see kapi/helpers.c).
    to_result(unsafe { super::zloop_rs_rename(dir.as_ptr(), from.as_char_ptr(), to.as_char_ptr()) })
}

/// Waits until no direct I/O runs on the inode of `file` (`inode_dio_wait`).
pub(crate) fn wait_for_direct_io(file: &File) {
    // SAFETY: a live file has a valid inode.
    unsafe { bindings::inode_dio_wait((*file.as_ptr()).f_inode) };
}

/// `fsync` (`datasync == false`) or `fdatasync` of `file`: its data, and
/// with `fsync` all its metadata, are on stable storage when this returns
/// (the file system flushes its device's volatile cache as needed).
pub(crate) fn fsync(file: &File, datasync: bool) -> Result {
    // SAFETY: `file` is a live file.
    to_result(unsafe {
        bindings::vfs_fsync_range(file.as_ptr(), 0, i64::MAX, c_int::from(datasync))
    })
}

/// A zone file kept open by a device. While it is held, page-cache
/// allocations of the file do no I/O or file-system recursion (as the loop
/// driver does for its backing file); dropping it restores the file's
/// allocation mask and closes it.
pub(crate) struct BackingFile {
    file: ARef<File>,
    old_gfp: bindings::gfp_t,
}

impl BackingFile {
    /// Takes `file` over for use as backing storage.
    pub(crate) fn new(file: ARef<File>) -> Self {
        let nofs = (1 << bindings::___GFP_IO_BIT) | (1 << bindings::___GFP_FS_BIT);
        // SAFETY: a live file's mapping is valid; `gfp_mask` is a plain field
        // that the VFS reads with no lock (like `mapping_set_gfp_mask`).
        let old_gfp = unsafe {
            let mapping = (*file.as_ptr()).f_mapping;
            let old = (*mapping).gfp_mask;
            (*mapping).gfp_mask = old & !nofs;
            old
        };
        BackingFile { file, old_gfp }
    }

    /// The file.
    pub(crate) fn file(&self) -> &File {
        &self.file
    }
}

impl Drop for BackingFile {
    fn drop(&mut self) {
        // SAFETY: as in `new`: restore the mask saved there.
        unsafe { (*(*self.file.as_ptr()).f_mapping).gfp_mask = self.old_gfp };
    }
}
