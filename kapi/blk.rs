// SPDX-License-Identifier: GPL-2.0

//! blk-mq and gendisk glue for a host-managed zoned disk.
//!
//! 7.2's `kernel::block::mq` cannot build a zoned disk (no `BLK_FEAT_ZONED`,
//! chunk size, zone-append limit, `report_zones`, `free_disk`, revalidation
//! before `add_disk`) and gives requests no driver data. This file builds the
//! tag set and the gendisk itself and keeps, next to every request, a command
//! slot (the request PDU) with the work item that runs it and the kiocb that
//! carries its data to a backing file.
//!
//! The driver implements [`Driver`] in safe code and sees requests as
//! [`Request`] tokens: a token is the right to complete one started request,
//! and is consumed by [`Request::end`] or [`Request::submit_rw`].
//!
//! Completion of a read or write: the plain success (every byte done) is
//! completed in place, wherever the file I/O completed (no interrupt or IPI
//! detour); anything else (errors, short reads to zero-fill) goes through
//! `blk_mq_complete_request`, so it runs in soft-interrupt context on the
//! CPU `rq_affinity` asks for. Every request end honours `fail_io_timeout`
//! fault injection: a request it picks is left to [`timeout_rq`].

use core::{marker::PhantomData, mem::offset_of, ptr::NonNull};
use kernel::{
    bindings,
    error::{from_err_ptr, to_result},
    ffi::{c_int, c_long, c_uint, c_ulong, c_void},
    fs::File,
    prelude::*,
    static_lock_class,
    sync::{
        atomic::{Atomic, Full, Relaxed, Release},
        Arc,
    },
    types::Opaque,
};

use super::{sysfs::AttributeGroup, wq::Workqueue};
use crate::zone::ZoneInfo;

/// The operation of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    /// Read data.
    Read,
    /// Write data.
    Write,
    /// Write back the volatile cache.
    Flush,
    /// Append data at the zone's write pointer.
    ZoneAppend,
    /// Explicitly open a zone.
    ZoneOpen,
    /// Close a zone.
    ZoneClose,
    /// Make a zone full.
    ZoneFinish,
    /// Reset a zone's write pointer.
    ZoneReset,
    /// Reset every sequential zone.
    ZoneResetAll,
    /// Anything else (the raw `REQ_OP_*` value).
    Other(u32),
}

impl Op {
    fn from_raw(op: u32) -> Op {
        match op {
            bindings::req_op_REQ_OP_READ => Op::Read,
            bindings::req_op_REQ_OP_WRITE => Op::Write,
            bindings::req_op_REQ_OP_FLUSH => Op::Flush,
            bindings::req_op_REQ_OP_ZONE_APPEND => Op::ZoneAppend,
            bindings::req_op_REQ_OP_ZONE_OPEN => Op::ZoneOpen,
            bindings::req_op_REQ_OP_ZONE_CLOSE => Op::ZoneClose,
            bindings::req_op_REQ_OP_ZONE_FINISH => Op::ZoneFinish,
            bindings::req_op_REQ_OP_ZONE_RESET => Op::ZoneReset,
            bindings::req_op_REQ_OP_ZONE_RESET_ALL => Op::ZoneResetAll,
            other => Op::Other(other),
        }
    }
}

/// What [`Driver::queue_rq`] decided for a request.
pub(crate) enum Queued {
    /// Start the request and run [`Driver::work`] for it on the workqueue.
    Work,
    /// Fail it with this error (turned into a block status).
    Fail(Error),
    /// Fail it with an I/O error, without a kernel log line (device going away).
    FailQuietly,
}

/// A zoned block device driver on top of this glue.
pub(crate) trait Driver: Send + Sync + Sized + 'static {
    /// The tag set requests come from.
    fn tag_set(&self) -> &TagSet<Self>;
    /// The workqueue [`Driver::work`] runs on.
    fn workqueue(&self) -> &Workqueue;
    /// Called for every new request, in atomic context: must not sleep.
    fn queue_rq(&self, rq: &RequestRef<'_>) -> Queued;
    /// Runs a request queued with [`Queued::Work`], in process context with
    /// `PF_MEMALLOC_NOIO` set (allocations do no I/O).
    fn work(&self, rq: Request<Self>);
    /// Decides how a request ends after the read or write started by
    /// [`Request::submit_rw`] finished with `result` (bytes done, or a
    /// negative errno); the glue ends the request after this returns, so
    /// `self` is never used after the request ended. Called for the plain
    /// success in whatever context the backing file's I/O completed in (hard
    /// or soft interrupt, or a worker), else where `blk_mq_complete_request`
    /// runs it (usually a soft interrupt): must not sleep.
    fn complete(&self, rq: &RequestRef<'_>, result: isize) -> Result;
    /// Open of the block device: refuse with an error (e.g. ENXIO).
    fn open(&self) -> Result;
    /// Reports up to `nr_zones` zones starting at the zone of `sector`
    /// through `report`; returns the number reported. May sleep.
    fn report_zones(
        &self,
        sector: u64,
        nr_zones: u32,
        report: &mut ZoneReporter<'_>,
    ) -> Result<u32>;
}

/// Per-request command slot (the blk-mq PDU).
#[repr(C)]
struct Cmd {
    work: bindings::work_struct,
    iocb: bindings::kiocb,
    iter: bindings::iov_iter,
    /// References: the submitter and the kiocb completion.
    refs: Atomic<i32>,
    /// Result of the read/write (bytes or negative errno).
    ret: isize,
    /// bvec table of a multi-bio request, built for its kiocb; kept for the
    /// next request of this slot (freed in `exit_request`).
    bvecs: Option<KVec<bindings::bio_vec>>,
    /// The kiocb is a write holding freeze protection (`kiocb_start_write`).
    write: bool,
    /// `fail_io_timeout` kept this request from ending: `timeout_rq` ends it.
    faked: Atomic<u32>,
    /// Driver data (see [`RequestRef::set_tag`]).
    tag: u64,
}

/// # Safety
///
/// `rq` must be a request allocated from a [`TagSet`] (its PDU is a [`Cmd`]).
unsafe fn cmd_of(rq: *mut bindings::request) -> *mut Cmd {
    // SAFETY: per the contract, the PDU of `rq` is a `Cmd`.
    unsafe { bindings::blk_mq_rq_to_pdu(rq).cast::<Cmd>() }
}

/// # Safety
///
/// `cmd` must be the PDU of a request allocated from a [`TagSet`].
unsafe fn rq_of(cmd: *mut Cmd) -> *mut bindings::request {
    // SAFETY: per the contract, `cmd` is a PDU.
    unsafe { bindings::blk_mq_rq_from_pdu(cmd.cast::<c_void>()) }
}

/// The driver of a request.
///
/// # Safety
///
/// `rq` must be a request of a disk made by [`GenDisk::add`] for `T`, still
/// in flight, and the caller must stop using the returned reference before
/// the request ends, unless it runs in a work item of the driver's
/// workqueue. (The queue data of such a disk is the `T` it was made for, kept
/// alive by the disk's reference until `free_disk`; the disk cannot be freed
/// while a request is in flight, and `free_disk` drains the workqueue before
/// it drops its reference.)
unsafe fn driver_of<'a, T: Driver>(rq: *mut bindings::request) -> &'a T {
    // SAFETY: per the contract, see above.
    unsafe { &*(*(*rq).q).queuedata.cast::<T>() }
}

/// Ends request `rq` (still in flight: not given to
/// `blk_mq_complete_request`) with `status`, unless `fail_io_timeout` picks
/// it: then it stays in flight until [`timeout_rq`] ends it.
///
/// # Safety
///
/// `rq` is a started request of a [`TagSet`], owned by the caller, which
/// gives it up.
unsafe fn end_rq(rq: *mut bindings::request, status: bindings::blk_status_t) {
    // SAFETY: per the contract; the C helper only reads the request's queue.
    unsafe {
        if super::zloop_rs_should_fake_timeout(rq) {
            (*cmd_of(rq)).faked.store(1, Release);
            return;
        }
        bindings::blk_mq_end_request(rq, status);
    }
}

fn status_of(result: Result) -> bindings::blk_status_t {
    match result {
        Ok(()) => 0,
        // SAFETY: plain conversion of an errno.
        Err(e) => unsafe { bindings::errno_to_blk_status(e.to_errno()) },
    }
}

/// A started request owned by the driver. Dropping it without
/// [`Request::end`] or [`Request::submit_rw`] fails it with EIO.
pub(crate) struct Request<T: Driver> {
    raw: NonNull<bindings::request>,
    _driver: PhantomData<T>,
}

// SAFETY: a started request may be completed from any context; the token is
// its only owner.
unsafe impl<T: Driver> Send for Request<T> {}

/// A borrowed view of a request, for [`Driver::queue_rq`] and
/// [`Driver::complete`].
pub(crate) struct RequestRef<'a> {
    raw: NonNull<bindings::request>,
    _life: PhantomData<&'a bindings::request>,
}

macro_rules! request_accessors {
    () => {
        /// The operation.
        pub(crate) fn op(&self) -> Op {
            // SAFETY: the request is valid while this handle exists.
            let flags = unsafe { (*self.raw.as_ptr()).cmd_flags };
            Op::from_raw(flags & ((1 << bindings::REQ_OP_BITS) - 1))
        }

        /// First sector.
        pub(crate) fn sector(&self) -> u64 {
            // SAFETY: as above.
            unsafe { (*self.raw.as_ptr()).__sector }
        }

        /// Length in bytes.
        pub(crate) fn bytes(&self) -> u32 {
            // SAFETY: as above.
            unsafe { (*self.raw.as_ptr()).__data_len }
        }

        /// Length in 512-byte sectors.
        pub(crate) fn nr_sectors(&self) -> u64 {
            u64::from(self.bytes() >> 9)
        }

        /// Sets the request's sector: where a zone append wrote its data,
        /// which the block layer reports back to the submitter.
        pub(crate) fn set_sector(&self, sector: u64) {
            // SAFETY: the driver owns the request (or is in `queue_rq`);
            // nothing else writes `__sector` meanwhile.
            unsafe { (*self.raw.as_ptr()).__sector = sector };
        }
    };
}

impl RequestRef<'_> {
    request_accessors!();

    /// Stores `tag` with the request, for the driver's own use until the
    /// request ends (e.g. what `queue_rq` decided, for the work item).
    pub(crate) fn set_tag(&self, tag: u64) {
        // SAFETY: in `queue_rq` the request is not started yet: nothing else
        // touches its command slot.
        unsafe { (*cmd_of(self.raw.as_ptr())).tag = tag };
    }

    /// Zeroes the request's data from byte `from` to its end (the part a
    /// short read did not fill).
    pub(crate) fn zero_from(&self, from: u32) {
        // SAFETY: the request is in flight and handed to the driver, which
        // owns its data until the request ends.
        unsafe { zero_bios_from(self.raw.as_ptr(), from as usize) };
    }
}

impl<T: Driver> Request<T> {
    request_accessors!();

    /// # Safety
    ///
    /// `raw` is a started request of a `T` disk that nobody else completes.
    unsafe fn from_raw(raw: *mut bindings::request) -> Self {
        Request {
            // SAFETY: blk-mq never passes a NULL request.
            raw: unsafe { NonNull::new_unchecked(raw) },
            _driver: PhantomData,
        }
    }

    fn into_raw(self) -> *mut bindings::request {
        let raw = self.raw.as_ptr();
        core::mem::forget(self);
        raw
    }

    /// The driver's tag of the request (see [`RequestRef::set_tag`]).
    pub(crate) fn tag(&self) -> u64 {
        // SAFETY: the request's command slot is set up (`init_request`); the
        // driver owns the request.
        unsafe { (*cmd_of(self.raw.as_ptr())).tag }
    }

    /// Drops `REQ_NOWAIT`: the worker may block.
    pub(crate) fn clear_nowait(&self) {
        // SAFETY: the driver owns the request.
        unsafe { (*self.raw.as_ptr()).cmd_flags &= !(1 << bindings::req_flag_bits___REQ_NOWAIT) };
    }

    /// Ends the request with `result`.
    pub(crate) fn end(self, result: Result) {
        let raw = self.into_raw();
        // SAFETY: the token owned the started request; it ends exactly once.
        unsafe { end_rq(raw, status_of(result)) };
    }

    /// Reads (`write == false`) or writes the request's data from/to `file`
    /// at byte `pos`, asynchronously (`read_iter` / `write_iter` with a
    /// kiocb over the request's pages, `IOCB_DIRECT` if `direct`). When it
    /// finishes, [`Driver::complete`] gets the request back with the result.
    pub(crate) fn submit_rw(self, file: &File, pos: u64, write: bool, direct: bool) {
        let rq = self.into_raw();
        // SAFETY: `rq` is an owned, started request of a `TagSet<T>`.
        let cmd = unsafe { cmd_of(rq) };
        // SAFETY: the command slot belongs to this request, which we own:
        // nothing else touches it until the kiocb completes.
        let ret = unsafe { start_rw::<T>(rq, cmd, file, pos, write, direct) };
        if ret != -(bindings::EIOCBQUEUED as isize) {
            // SAFETY: the I/O did not go asynchronous: complete it here.
            unsafe { rw_done::<T>(&raw mut (*cmd).iocb, ret as c_long) };
        }
        // SAFETY: drop the submitter's reference.
        unsafe { put_cmd::<T>(cmd) };
    }
}

impl<T: Driver> Drop for Request<T> {
    fn drop(&mut self) {
        // SAFETY: a dropped token still owns its started request.
        unsafe { end_rq(self.raw.as_ptr(), status_of(Err(EIO))) };
    }
}

/// Zeroes the data of request `rq` from byte `from` to its end.
///
/// # Safety
///
/// `rq` is a request owned by the caller; its bios are valid.
unsafe fn zero_bios_from(rq: *mut bindings::request, from: usize) {
    let mut skip = from;
    // SAFETY: per the contract.
    let mut bio = unsafe { (*rq).bio };
    while !bio.is_null() {
        // SAFETY: `bio` is a bio of the request.
        let (size, next) = unsafe { ((*bio).bi_iter.bi_size as usize, (*bio).bi_next) };
        if skip < size {
            let iter = Opaque::<bindings::iov_iter>::zeroed();
            // SAFETY: `bio` is valid; `iter` covers exactly its data.
            unsafe {
                init_bio_iter(iter.get(), bio, bindings::ITER_DEST);
                bindings::iov_iter_advance(iter.get(), skip);
                bindings::iov_iter_zero(size - skip, iter.get());
            }
            skip = 0;
        } else {
            skip -= size;
        }
        bio = next;
    }
}

/// The offset into the current bvec of a `bvec_iter` (a place: it can be
/// assigned): `bi_bvec_done` up to Linux 7.2, `bi_offset` from 7.3 (renamed,
/// same meaning).
#[cfg(not(zloop_kernel_7_3))]
macro_rules! bvec_done {
    ($it:expr) => {
        $it.bi_bvec_done
    };
}
#[cfg(zloop_kernel_7_3)]
macro_rules! bvec_done {
    ($it:expr) => {
        $it.bi_offset
    };
}

/// Points `iter` at the data of `bio` (without copying its bvec table).
///
/// # Safety
///
/// `iter` is writable and `bio` a valid bio; the iterator is valid as long as
/// the bio is.
unsafe fn init_bio_iter(iter: *mut bindings::iov_iter, bio: *mut bindings::bio, dir: u32) {
    // SAFETY: per the contract; the table entries from `bi_idx` on, within
    // `bi_size` bytes, are the bio's data (`__bvec_iter_bvec`).
    unsafe {
        let it = (*bio).bi_iter;
        let nr = count_bvecs(bio);
        bindings::iov_iter_bvec(
            iter,
            dir,
            (*bio).bi_io_vec.add(it.bi_idx as usize),
            nr,
            it.bi_size as usize,
        );
        (*iter).iov_offset = bvec_done!(it) as usize;
    }
}

/// Calls `f` with each (multi-page) data segment of `bio`, like
/// `bio_for_each_bvec`.
///
/// # Safety
///
/// `bio` is a valid bio.
unsafe fn for_each_bvec(bio: *mut bindings::bio, mut f: impl FnMut(bindings::bio_vec)) {
    // SAFETY: per the contract; the walk stays within `bi_size` bytes of the
    // table, as the block layer's own iterators do.
    unsafe {
        let mut it = (*bio).bi_iter;
        let table = (*bio).bi_io_vec;
        while it.bi_size > 0 {
            let bv = *table.add(it.bi_idx as usize);
            let len = core::cmp::min(it.bi_size, bv.bv_len - bvec_done!(it));
            f(bindings::bio_vec {
                bv_page: bv.bv_page,
                bv_offset: bv.bv_offset + bvec_done!(it),
                bv_len: len,
            });
            it.bi_size -= len;
            bvec_done!(it) += len;
            if bvec_done!(it) == bv.bv_len {
                it.bi_idx += 1;
                bvec_done!(it) = 0;
            }
        }
    }
}

/// # Safety
///
/// `bio` is a valid bio.
unsafe fn count_bvecs(bio: *mut bindings::bio) -> c_ulong {
    let mut n = 0;
    // SAFETY: per the contract.
    unsafe { for_each_bvec(bio, |_| n += 1) };
    n
}

/// Sets up the iterator and kiocb of `cmd` and calls the file's
/// `read_iter`/`write_iter`; returns its result.
///
/// # Safety
///
/// `rq` is an owned, started request of a `TagSet<T>` and `cmd` its slot.
unsafe fn start_rw<T: Driver>(
    rq: *mut bindings::request,
    cmd: *mut Cmd,
    file: &File,
    pos: u64,
    write: bool,
    direct: bool,
) -> isize {
    let dir = if write {
        bindings::ITER_SOURCE
    } else {
        bindings::ITER_DEST
    };
    // SAFETY: per the contract, the request and its slot are ours.
    unsafe {
        (*cmd).refs.store(2, kernel::sync::atomic::Relaxed);
        (*cmd).ret = 0;
        (*cmd).write = false;
        let bio = (*rq).bio;
        if bio.is_null() {
            return -(bindings::EIO as isize);
        }
        if bio == (*rq).biotail {
            // One bio: iterate over its own bvec table, no copy.
            init_bio_iter(&raw mut (*cmd).iter, bio, dir);
        } else {
            // Several bios: gather their segments into one table. The table
            // stays with the command slot and is reused: it only grows (up to
            // the queue's segment limit), so steady state allocates nothing.
            let mut n = 0usize;
            let mut b = bio;
            while !b.is_null() {
                n += count_bvecs(b) as usize;
                b = (*b).bi_next;
            }
            let table = (*cmd).bvecs.get_or_insert_with(KVec::new);
            table.clear();
            if table.reserve(n, GFP_KERNEL).is_err() {
                return -(bindings::EIO as isize);
            }
            let mut b = bio;
            while !b.is_null() {
                // Cannot fail: the capacity was reserved above.
                for_each_bvec(b, |bv| {
                    let _ = table.push_within_capacity(bv);
                });
                b = (*b).bi_next;
            }
            bindings::iov_iter_bvec(
                &raw mut (*cmd).iter,
                dir,
                table.as_ptr(),
                table.len() as c_ulong,
                (*rq).__data_len as usize,
            );
        }

        let iocb = &raw mut (*cmd).iocb;
        iocb.write(bindings::kiocb {
            ki_filp: file.as_ptr(),
            ki_pos: pos as i64,
            ki_complete: Some(rw_done::<T>),
            private: core::ptr::null_mut(),
            ki_flags: if direct {
                bindings::IOCB_DIRECT as c_int
            } else {
                0
            },
            ki_ioprio: 0,
            ki_write_stream: 0,
            ki_waitq: core::ptr::null_mut(),
        });
        let fops = (*file.as_ptr()).f_op;
        let call = if write {
            (*fops).write_iter
        } else {
            (*fops).read_iter
        };
        let Some(call) = call else {
            return -(bindings::EINVAL as isize);
        };
        if write {
            // Freeze protection until the write completes (`put_cmd`): a
            // frozen backing file system makes the write wait here.
            super::zloop_rs_kiocb_start_write(iocb);
            (*cmd).write = true;
        }
        call(iocb, &raw mut (*cmd).iter)
    }
}

/// `ki_complete` of the command kiocbs (any context).
///
/// # Safety
///
/// `iocb` is the kiocb of a command slot started by `start_rw`.
unsafe extern "C" fn rw_done<T: Driver>(iocb: *mut bindings::kiocb, ret: c_long) {
    // SAFETY: per the contract, `iocb` is embedded in a `Cmd`.
    let cmd = unsafe { iocb.byte_sub(offset_of!(Cmd, iocb)).cast::<Cmd>() };
    // SAFETY: the kiocb's reference keeps the slot ours until `put_cmd`.
    unsafe {
        (*cmd).ret = ret;
        put_cmd::<T>(cmd);
    }
}

/// Drops one reference of a command; the last one completes the request.
/// A plain success (every byte done) completes right here, with no detour
/// through `blk_mq_complete_request`, whose IPI or soft interrupt would cost
/// one more context switch per request; anything else goes through it
/// ([`complete_rq`]).
///
/// # Safety
///
/// The caller owns one reference of the started command `cmd`.
unsafe fn put_cmd<T: Driver>(cmd: *mut Cmd) {
    // SAFETY: per the contract. `fetch_sub` is fully ordered, so the last
    // owner sees `ret` and the table written by the others; the request is
    // then ours alone, and in flight.
    unsafe {
        if (*cmd).refs.fetch_sub(1, Full) != 1 {
            return;
        }
        if (*cmd).write {
            super::zloop_rs_kiocb_end_write(&raw mut (*cmd).iocb);
            (*cmd).write = false;
        }
        let rq = rq_of(cmd);
        if super::zloop_rs_should_fake_timeout(rq) {
            // Decided here, while the request is still in flight for the
            // timeout handler; the driver still sees the result.
            let _ = driver_complete::<T>(rq);
            (*cmd).faked.store(1, Release);
        } else if (*cmd).ret == (*rq).__data_len as isize {
            bindings::blk_mq_end_request(rq, driver_complete::<T>(rq));
        } else {
            bindings::blk_mq_complete_request(rq);
        }
    }
}

/// Asks the driver how request `rq` ends; returns the status.
///
/// # Safety
///
/// `rq` is a started, in-flight request of a `TagSet<T>` whose read or write
/// finished, owned by the caller.
unsafe fn driver_complete<T: Driver>(rq: *mut bindings::request) -> bindings::blk_status_t {
    // SAFETY: per the contract. The driver reference is not used after the
    // driver returns, and the request ends only after that.
    unsafe {
        let view = RequestRef {
            raw: NonNull::new_unchecked(rq),
            _life: PhantomData,
        };
        status_of(driver_of::<T>(rq).complete(&view, (*cmd_of(rq)).ret))
    }
}

/// `complete`: a request `put_cmd` passed to `blk_mq_complete_request`
/// (usually in a soft interrupt on the CPU `rq_affinity` asks for).
///
/// # Safety
///
/// Called by blk-mq only, for a request that `put_cmd` gave to it.
unsafe extern "C" fn complete_rq<T: Driver>(rq: *mut bindings::request) {
    // SAFETY: `put_cmd` handed the finished request over to blk-mq, which
    // hands it back here, once; it ends exactly once (the fake-timeout
    // decision was made before, in `put_cmd`).
    unsafe { bindings::blk_mq_end_request(rq, driver_complete::<T>(rq)) };
}

/// `timeout`: a request left in flight by `fail_io_timeout` ends now with a
/// timeout error; any other request is still doing real I/O on its backing
/// file, which cannot be cancelled: its timer is re-armed.
///
/// # Safety
///
/// Called by blk-mq only, for an in-flight request of a [`TagSet`].
unsafe extern "C" fn timeout_rq(rq: *mut bindings::request) -> bindings::blk_eh_timer_return {
    // SAFETY: the request's command slot is initialised; `faked` is atomic.
    if unsafe { (*cmd_of(rq)).faked.xchg(0, Full) } == 0 {
        return bindings::blk_eh_timer_return_BLK_EH_RESET_TIMER;
    }
    // SAFETY: nothing else ends a faked request; plain errno conversion.
    unsafe {
        bindings::blk_mq_end_request(rq, bindings::errno_to_blk_status(ETIMEDOUT.to_errno()))
    };
    bindings::blk_eh_timer_return_BLK_EH_DONE
}

/// A blk-mq tag set whose requests carry a command slot.
#[pin_data(PinnedDrop)]
pub(crate) struct TagSet<T: Driver> {
    #[pin]
    raw: Opaque<bindings::blk_mq_tag_set>,
    _driver: PhantomData<T>,
}

// SAFETY: the tag set is only used through blk-mq, which locks internally.
unsafe impl<T: Driver> Send for TagSet<T> {}
// SAFETY: as above.
unsafe impl<T: Driver> Sync for TagSet<T> {}

impl<T: Driver> TagSet<T> {
    const OPS: bindings::blk_mq_ops = bindings::blk_mq_ops {
        queue_rq: Some(queue_rq::<T>),
        complete: Some(complete_rq::<T>),
        timeout: Some(timeout_rq),
        init_request: Some(init_request::<T>),
        exit_request: Some(exit_request),
        ..pin_init::zeroed()
    };

    /// `nr_queues` hardware queues of `queue_depth` tags each.
    pub(crate) fn new(nr_queues: u32, queue_depth: u32) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            raw <- Opaque::try_ffi_init(move |slot: *mut bindings::blk_mq_tag_set| {
                let mut set: bindings::blk_mq_tag_set = pin_init::zeroed();
                set.ops = &Self::OPS;
                set.nr_hw_queues = nr_queues;
                set.queue_depth = queue_depth;
                set.numa_node = bindings::NUMA_NO_NODE;
                set.cmd_size = core::mem::size_of::<Cmd>() as c_uint;
                // SAFETY: `slot` is writable, pinned memory for a tag set;
                // `blk_mq_alloc_tag_set` initialises the rest in place.
                unsafe {
                    slot.write(set);
                    to_result(bindings::blk_mq_alloc_tag_set(slot))
                }
            }),
            _driver: PhantomData,
        })
    }
}

impl<T: Driver> TagSet<T> {
    /// The hardware queues and the tags per queue the tag set got: blk-mq
    /// may give fewer than asked (at most `nr_cpu_ids` queues and 10240
    /// tags, fewer tags when memory is short).
    pub(crate) fn shape(&self) -> (u32, u32) {
        let set = self.raw.get();
        // SAFETY: `new` allocated the tag set; blk-mq writes these two
        // fields only in `blk_mq_alloc_tag_set` and
        // `blk_mq_update_nr_hw_queues`, which this driver never calls.
        unsafe { ((*set).nr_hw_queues, (*set).queue_depth) }
    }
}

#[pinned_drop]
impl<T: Driver> PinnedDrop for TagSet<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: the tag set was allocated in `new`; no queue uses it any
        // more (disks are released before their driver).
        unsafe { bindings::blk_mq_free_tag_set(self.raw.get()) };
    }
}

/// `init_request`: set up the command slot of a new request.
///
/// # Safety
///
/// Called by blk-mq only, with a request of a [`TagSet`] that is not in use.
unsafe extern "C" fn init_request<T: Driver>(
    _set: *mut bindings::blk_mq_tag_set,
    rq: *mut bindings::request,
    _hctx_idx: c_uint,
    _numa_node: c_int,
) -> c_int {
    // SAFETY: blk-mq hands us a request of our tag set with `cmd_size` bytes
    // of PDU, not yet in use.
    unsafe {
        let cmd = cmd_of(rq);
        (&raw mut (*cmd).refs).write(Atomic::new(0));
        (&raw mut (*cmd).ret).write(0);
        (&raw mut (*cmd).bvecs).write(None);
        (&raw mut (*cmd).write).write(false);
        (&raw mut (*cmd).faked).write(Atomic::new(0));
        (&raw mut (*cmd).tag).write(0);
        bindings::init_work_with_key(
            &raw mut (*cmd).work,
            Some(work_fn::<T>),
            false,
            c"zloop_rs_cmd".as_char_ptr(),
            static_lock_class!().as_ptr(),
        );
    }
    0
}

/// `exit_request`: release what `init_request` set up.
///
/// # Safety
///
/// Called by blk-mq only, with an idle request of a [`TagSet`].
unsafe extern "C" fn exit_request(
    _set: *mut bindings::blk_mq_tag_set,
    rq: *mut bindings::request,
    _hctx_idx: c_uint,
) {
    // SAFETY: the request is being freed; its slot was set up by `init_request`.
    unsafe { drop((*cmd_of(rq)).bvecs.take()) };
}

/// `queue_rq`: ask the driver, then start the request and queue its work.
///
/// # Safety
///
/// Called by blk-mq only, with a new request of a disk made by [`GenDisk::add`].
unsafe extern "C" fn queue_rq<T: Driver>(
    _hctx: *mut bindings::blk_mq_hw_ctx,
    bd: *const bindings::blk_mq_queue_data,
) -> bindings::blk_status_t {
    // SAFETY: blk-mq passes a valid request of one of our disks.
    let rq = unsafe { (*bd).rq };
    // SAFETY: as above: the request is in flight.
    let drv = unsafe { driver_of::<T>(rq) };
    let view = RequestRef {
        // SAFETY: `rq` is not NULL.
        raw: unsafe { NonNull::new_unchecked(rq) },
        _life: PhantomData,
    };
    match drv.queue_rq(&view) {
        Queued::Work => {
            // SAFETY: the request is ours from here until it ends; its work
            // item was initialised in `init_request` and is idle.
            unsafe {
                (*cmd_of(rq)).faked.store(0, Relaxed);
                bindings::blk_mq_start_request(rq);
                bindings::queue_work_on(
                    bindings::wq_misc_consts_WORK_CPU_UNBOUND as c_int,
                    drv.workqueue().as_raw(),
                    &raw mut (*cmd_of(rq)).work,
                );
            }
            0
        }
        Queued::Fail(e) => status_of(Err(e)),
        Queued::FailQuietly => {
            // SAFETY: the request is not started; blk-mq ends it with our status.
            unsafe { (*rq).rq_flags |= 1 << bindings::rqf_flags___RQF_QUIET };
            status_of(Err(EIO))
        }
    }
}

/// The work item of a request: run [`Driver::work`] with NOIO allocations.
///
/// # Safety
///
/// Called by the workqueue only, for a work item queued by `queue_rq`.
unsafe extern "C" fn work_fn<T: Driver>(work: *mut bindings::work_struct) {
    // SAFETY: the work item is embedded in the command slot of a started
    // request queued by `queue_rq`.
    let rq = unsafe { rq_of(work.byte_sub(offset_of!(Cmd, work)).cast::<Cmd>()) };
    let extra = bindings::PF_MEMALLOC_NOIO | bindings::PF_LOCAL_THROTTLE;
    // SAFETY: `current` is valid; only this task changes its own flags.
    let task = unsafe { bindings::get_current() };
    // SAFETY: as above.
    let saved = unsafe { (*task).flags } & extra;
    // SAFETY: as above.
    unsafe { (*task).flags |= extra };
    // SAFETY: the request is in flight and owned by this work item, which
    // may keep using the driver after the request ended: `free_disk` drains
    // the workqueue before it drops the driver.
    let drv = unsafe { driver_of::<T>(rq) };
    // SAFETY: as above; the token takes over the request.
    drv.work(unsafe { Request::from_raw(rq) });
    // SAFETY: restore exactly the bits this function set.
    unsafe { (*task).flags = ((*task).flags & !extra) | saved };
}

/// Queue limits and identity of a zoned disk.
pub(crate) struct DiskConfig {
    /// `/dev/zloop<id>`.
    pub(crate) id: u32,
    /// Capacity in sectors.
    pub(crate) capacity_sectors: u64,
    /// Zone size in sectors (a power of two).
    pub(crate) zone_sectors: u32,
    /// Logical and physical block size in bytes.
    pub(crate) block_size: u32,
    /// Memory alignment mask of a request's data (0: the block layer's
    /// default, 511).
    pub(crate) dma_alignment: u32,
    /// Largest request in sectors.
    pub(crate) max_hw_sectors: u32,
    /// Largest zone append in sectors; 0 makes the block layer emulate appends.
    pub(crate) max_zone_append_sectors: u32,
    /// Open zone limit (0: none).
    pub(crate) max_open_zones: u32,
    /// Active zone limit (0: none); at least `max_open_zones` when set.
    pub(crate) max_active_zones: u32,
}

/// A live zoned gendisk whose queue data is a `T`. The disk holds a
/// reference on the driver until the block layer frees it (`free_disk`).
/// Dropping it removes the disk ([`GenDisk::remove`] with nothing to do
/// after the drain), so a disk cannot outlive its handle.
pub(crate) struct GenDisk<T: Driver> {
    raw: NonNull<bindings::gendisk>,
    _driver: PhantomData<T>,
}

// SAFETY: gendisk operations used here may be called from any thread.
unsafe impl<T: Driver> Send for GenDisk<T> {}
// SAFETY: as above; `&GenDisk` only reads.
unsafe impl<T: Driver> Sync for GenDisk<T> {}

impl<T: Driver> GenDisk<T> {
    const FOPS: bindings::block_device_operations = bindings::block_device_operations {
        // Opens of the disk pin this module (`bdev_open`), as for C drivers.
        owner: crate::THIS_MODULE.as_ptr(),
        open: Some(open::<T>),
        report_zones: Some(report_zones::<T>),
        free_disk: Some(free_disk::<T>),
        ..pin_init::zeroed()
    };

    /// Creates the disk of `drv` (host-managed zoned, no partitions, volatile
    /// write cache), validates its zones with `report_zones`, and adds it
    /// with the sysfs directory `attrs`: `/dev/zloop<id>` appears.
    pub(crate) fn add<const N: usize>(
        drv: Arc<T>,
        cfg: &DiskConfig,
        attrs: &'static AttributeGroup<T, N>,
    ) -> Result<Self> {
        let mut lim: bindings::queue_limits = pin_init::zeroed();
        lim.features = BLK_FEAT_ZONED | BLK_FEAT_WRITE_CACHE;
        lim.max_hw_sectors = cfg.max_hw_sectors;
        lim.chunk_sectors = cfg.zone_sectors;
        lim.logical_block_size = cfg.block_size;
        lim.physical_block_size = cfg.block_size;
        lim.dma_alignment = cfg.dma_alignment;
        lim.max_hw_zone_append_sectors = cfg.max_zone_append_sectors;
        lim.max_open_zones = cfg.max_open_zones;
        lim.max_active_zones = cfg.max_active_zones;

        let set = drv.tag_set().raw.get();
        let queuedata = Arc::as_ptr(&drv).cast_mut().cast::<c_void>();
        // SAFETY: the tag set is initialised and outlives the disk (the disk
        // holds the driver, which holds the tag set); `lim` is valid.
        let disk = from_err_ptr(unsafe {
            bindings::__blk_mq_alloc_disk(set, &mut lim, queuedata, static_lock_class!().as_ptr())
        })?;
        // SAFETY: `disk` is a new, not yet added gendisk that we own.
        unsafe {
            (*disk).flags = bindings::GENHD_FL_NO_PART as c_int;
            (*disk).fops = &Self::FOPS;
            (*disk).private_data = Arc::into_raw(drv).cast_mut().cast::<c_void>();
            write_disk_name(&mut (*disk).disk_name, cfg.id);
            bindings::set_capacity(disk, cfg.capacity_sectors);
        }
        // SAFETY: the disk is fully set up; revalidation calls `report_zones`.
        let mut ret = unsafe { bindings::blk_revalidate_disk_zones(disk) };
        if ret == 0 {
            // SAFETY: as above; the groups are static, and their callbacks
            // get `T`, the driver in `private_data` (see `kapi::sysfs`).
            ret = unsafe {
                bindings::device_add_disk(core::ptr::null_mut(), disk, attrs.as_groups())
            };
        }
        if ret != 0 {
            // SAFETY: the disk was never added, so `free_disk` will not run:
            // drop it, then the driver reference it held.
            unsafe {
                let private = (*disk).private_data;
                bindings::put_disk(disk);
                drop(Arc::<T>::from_raw(private.cast::<T>()));
            }
            return Err(Error::from_errno(ret));
        }
        Ok(GenDisk {
            // SAFETY: `from_err_ptr` rejected NULL-like errors; not NULL.
            raw: unsafe { NonNull::new_unchecked(disk) },
            _driver: PhantomData,
        })
    }

    /// Removes the disk: waits for every request in flight (`del_gendisk`),
    /// runs `after_drain` (the last moment the driver can touch its backing
    /// files knowing no I/O runs), then drops the disk. `T` lives on until the
    /// last opener closes the device.
    pub(crate) fn remove(self, after_drain: impl FnOnce()) {
        let raw = core::mem::ManuallyDrop::new(self).raw.as_ptr();
        // SAFETY: the disk was added by `add` and is removed once: the
        // handle is consumed without running its `Drop`.
        unsafe { bindings::del_gendisk(raw) };
        after_drain();
        // SAFETY: as above; drops the reference `add` took.
        unsafe { bindings::put_disk(raw) };
    }
}

impl<T: Driver> Drop for GenDisk<T> {
    fn drop(&mut self) {
        // SAFETY: a live handle owns an added disk not yet removed.
        unsafe {
            bindings::del_gendisk(self.raw.as_ptr());
            bindings::put_disk(self.raw.as_ptr());
        }
    }
}

const BLK_FEAT_WRITE_CACHE: bindings::blk_features_t = 1 << 0;
const BLK_FEAT_ZONED: bindings::blk_features_t = 1 << 10;

fn write_disk_name(name: &mut [kernel::ffi::c_char; 32], id: u32) {
    let mut buf = [0u8; 32];
    let mut digits = [0u8; 10];
    let mut n = id;
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let prefix = b"zloop";
    buf[..prefix.len()].copy_from_slice(prefix);
    for i in 0..len {
        buf[prefix.len() + i] = digits[len - 1 - i];
    }
    for (d, s) in name.iter_mut().zip(buf.iter()) {
        *d = *s as kernel::ffi::c_char;
    }
}

/// # Safety
///
/// `disk` is a disk made by [`GenDisk::add`] for `T`.
unsafe fn disk_driver<'a, T: Driver>(disk: *mut bindings::gendisk) -> &'a T {
    // SAFETY: `private_data` holds the disk's reference on `T`, valid until
    // `free_disk`.
    unsafe { &*(*disk).private_data.cast::<T>() }
}

/// The driver of the disk whose `struct device` is `dev`.
///
/// # Safety
///
/// `dev` is the device of a disk made by [`GenDisk::add`] for `T`
/// (`disk_to_dev`), and the caller stops using the result before the disk
/// is freed: e.g. in a sysfs callback of that device, which `del_gendisk`
/// waits for (see `kapi::sysfs`).
pub(super) unsafe fn driver_of_disk_device<'a, T: Driver>(dev: *mut bindings::device) -> &'a T {
    // SAFETY: per the contract, `dev` is the `bd_device` of the disk's
    // whole-disk block device, whose `bd_disk` is the disk (`dev_to_disk`).
    unsafe {
        let bdev = dev
            .byte_sub(offset_of!(bindings::block_device, bd_device))
            .cast::<bindings::block_device>();
        disk_driver::<T>((*bdev).bd_disk)
    }
}

/// `open` of the block device.
///
/// # Safety
///
/// Called by the block layer only, on a disk made by [`GenDisk::add`].
unsafe extern "C" fn open<T: Driver>(
    disk: *mut bindings::gendisk,
    _mode: bindings::blk_mode_t,
) -> c_int {
    // SAFETY: the block layer opens only live disks of ours.
    match unsafe { disk_driver::<T>(disk) }.open() {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `free_disk`: the block layer is done with the disk.
///
/// # Safety
///
/// Called by the block layer only, once, on a disk made by [`GenDisk::add`].
unsafe extern "C" fn free_disk<T: Driver>(disk: *mut bindings::gendisk) {
    // SAFETY: last use of the disk: take back the driver reference it held.
    let drv = unsafe { Arc::<T>::from_raw((*disk).private_data.cast::<T>()) };
    // Work items may still be returning after ending their request: let
    // them finish before the driver can be dropped (see `driver_of`).
    // SAFETY: the workqueue is alive (the driver holds it); no request of
    // the dead disk queues new work.
    unsafe { bindings::drain_workqueue(drv.workqueue().as_raw()) };
    drop(drv);
}

/// `report_zones` of the disk.
///
/// # Safety
///
/// Called by the block layer only, on a disk made by [`GenDisk::add`], with
/// `args` valid for the call.
unsafe extern "C" fn report_zones<T: Driver>(
    disk: *mut bindings::gendisk,
    sector: bindings::sector_t,
    nr_zones: c_uint,
    args: *mut bindings::blk_report_zones_args,
) -> c_int {
    let mut reporter = ZoneReporter {
        disk,
        args,
        _life: PhantomData,
    };
    // SAFETY: called by the block layer on a disk of ours.
    match unsafe { disk_driver::<T>(disk) }.report_zones(sector, nr_zones, &mut reporter) {
        Ok(n) => n as c_int,
        Err(e) => e.to_errno(),
    }
}

/// Passes zone descriptors to the block layer during `report_zones`.
pub(crate) struct ZoneReporter<'a> {
    disk: *mut bindings::gendisk,
    args: *mut bindings::blk_report_zones_args,
    _life: PhantomData<&'a ()>,
}

impl ZoneReporter<'_> {
    /// Reports `zone` as the `idx`-th zone of this report.
    pub(crate) fn report(&mut self, idx: u32, zone: &ZoneInfo) -> Result {
        let mut blkz: bindings::blk_zone = pin_init::zeroed();
        blkz.start = zone.start;
        blkz.len = zone.len;
        blkz.wp = zone.wp;
        blkz.cond = zone.cond as u8;
        blkz.type_ = if zone.conventional {
            bindings::blk_zone_type_BLK_ZONE_TYPE_CONVENTIONAL as u8
        } else {
            bindings::blk_zone_type_BLK_ZONE_TYPE_SEQWRITE_REQ as u8
        };
        blkz.capacity = zone.capacity;
        // SAFETY: `disk` and `args` are the ones the block layer passed to
        // `report_zones`, valid during it.
        to_result(unsafe { bindings::disk_report_zone(self.disk, &mut blkz, idx, self.args) })
    }
}
