// SPDX-License-Identifier: GPL-2.0

//! One zloop device: its zone files, its zone state, and the block-layer
//! side (request handling, zone reports). Safe code over `kapi`.
//!
//! Locking, outermost first:
//! - `locks[z]` (mutex, per zone): serialises what changes zone `z` together
//!   with its file: a sequential write's write-pointer update *and* the
//!   submission of its data (so data reaches the file in write-pointer
//!   order), zone management (truncate), and re-reading the file size after
//!   an error. Reads and conventional zones take no lock.
//! - `zones` (spinlock): condition and write pointer of every zone and the
//!   open-zone LRU. Held only for in-memory updates; also taken in
//!   `queue_rq` for ordered zone appends.
//! - `suspect[z]` (atomic flag): a write to zone `z` failed; the next access
//!   re-reads the file size (the C driver's `ZLOOP_ZONE_SEQ_ERROR`). Set from
//!   completion context, which takes no lock.
//! - `unsynced[z]` (atomic flag): zone `z`'s file changed since the last
//!   flush synced it. Set after a write completed (completion context) or a
//!   truncate; a flush clears it before it syncs the file.
//! - `flush_lock` (mutex): one flush at a time; taken before any zone mutex.
//! - `faults.ranges` (spinlock, `device_inject.rs`): the bad sector ranges;
//!   taken last, also under `zones` (ordered zone appends in `queue_rq`).

use core::fmt::Write;
use kernel::{
    fs::File,
    new_mutex, new_spinlock,
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{Acquire, Atomic, AtomicFlag, Full, Relaxed, Release},
        Arc, Mutex, SpinLock,
    },
};

use crate::{
    control::Reservation,
    descfile::{self, Description},
    device_sysfs::{self, Counters},
    hooks,
    kapi::{
        self,
        blk::{DiskConfig, Driver, GenDisk, Op, Queued, Request, RequestRef, TagSet, ZoneReporter},
        vfs::{self, falloc, flags::*, BackingFile, DioAlign},
        wq::Workqueue,
    },
    options::{AddOptions, Geometry},
    zone::{seq_file_sectors, SizeError, ZoneError, ZoneMeta, Zones},
};

/// Fault injection: zone conditions, bad sector ranges (a child module, so
/// that it reaches the zone locks and files).
#[path = "device_inject.rs"]
pub(crate) mod inject;

/// Largest request, in sectors (1 MiB).
const MAX_HW_SECTORS: u32 = 2048;
/// The extended attribute that holds a zone's flushed write pointer
/// (`discard_write_cache`), shared with the C driver.
const WP_XATTR: &CStr = c"user.zloop.wp";
/// `discard_write_cache`: the extended attribute of the id directory that
/// says a device with the option was added and not removed cleanly since.
/// Found by the next `add` with the option, it means that run ended in a
/// crash, and the zone files may hold writes no flush covered: `add` rolls
/// them back (see "discard_write_cache after a crash" in design.md).
const UNCLEAN_XATTR: &CStr = c"user.zloop_rs.unclean";

const CREATING: u32 = 0;
const LIVE: u32 = 1;
const DELETING: u32 = 2;

/// A zloop device.
#[pin_data]
pub(crate) struct Device {
    // Dropped first: destroying the workqueue waits for running work items.
    wq: Workqueue,
    #[pin]
    tag_set: TagSet<Device>,
    id: u32,
    state: Atomic<u32>,
    geo: Geometry,
    block_size: u32,
    /// Memory alignment mask of request data (0: the block layer's default).
    dma_alignment: u32,
    buffered_io: bool,
    zone_append: bool,
    ordered_zone_append: bool,
    discard_write_cache: bool,
    /// Bytes to allocate ahead of a sequential write (module parameter
    /// `prealloc_mb`; 0: off). Cleared if the file system cannot.
    prealloc_bytes: u64,
    prealloc_ok: AtomicFlag,
    files: KVVec<BackingFile>,
    /// The id directory (`<base_dir>/<id>`).
    dir: ARef<File>,
    /// The options in effect (`AddOptions::in_effect`) but `base_dir`, which
    /// is in `base_dir`, and the queue shape, which is the tag set's.
    in_effect: AddOptions<'static>,
    /// `base_dir` as given to `add`.
    base_dir: KVec<u8>,
    /// What the device did since `add` (`/sys/block/zloopN/zloop/`).
    counters: Counters,
    suspect: KVVec<AtomicFlag>,
    unsynced: KVVec<AtomicFlag>,
    #[pin]
    flush_lock: Mutex<()>,
    locks: Pin<KVBox<[ZoneLock]>>,
    #[pin]
    zones: SpinLock<Zones<KVVec<ZoneMeta>>>,
    /// Injected faults: bad sector ranges (see `device_inject.rs`).
    #[pin]
    faults: inject::Faults,
    // Dropped last: frees the id once everything else of the device is gone.
    _id: Reservation,
}

/// The per-zone mutex (see the locking notes at the top) and the state of
/// the zone's file that it protects.
#[pin_data]
struct ZoneLock {
    #[pin]
    lock: Mutex<ZoneFile>,
}

/// What the driver knows about a sequential zone file beyond its size.
struct ZoneFile {
    /// Bytes of the file allocated ahead of the write pointer by
    /// `prealloc_mb` (`fallocate` with `FALLOC_FL_KEEP_SIZE`): up to here,
    /// writes need no block allocation. 0 when unknown.
    prealloc_end: u64,
}

/// A C string being built.
struct PathBuf(KVec<u8>);

impl Write for PathBuf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0
            .extend_from_slice(s.as_bytes(), GFP_KERNEL)
            .map_err(|_| core::fmt::Error)
    }
}

/// `<base>/<id>` followed by what `leaf` writes, and a NUL.
fn build_path(
    base: &[u8],
    id: u32,
    leaf: impl FnOnce(&mut PathBuf) -> core::fmt::Result,
) -> Result<KVec<u8>> {
    let mut b = PathBuf(KVec::with_capacity(base.len() + 32, GFP_KERNEL)?);
    b.0.extend_from_slice(base, GFP_KERNEL)?;
    write!(b, "/{id}")
        .and_then(|()| leaf(&mut b))
        .and_then(|()| b.write_str("\0"))
        .map_err(|_| ENOMEM)?;
    Ok(b.0)
}

/// Builds `<base>/<id>[/<kind>-<zone:06>]` as a C string.
fn path(base: &[u8], id: u32, zone: Option<(&str, u32)>) -> Result<KVec<u8>> {
    build_path(base, id, |b| match zone {
        None => Ok(()),
        Some((kind, z)) => write!(b, "/{kind}-{z:06}"),
    })
}

/// Builds `<base>/<id>` as a C string.
pub(crate) fn dir_path(base: &[u8], id: u32) -> Result<KVec<u8>> {
    path(base, id, None)
}

/// Builds `<base>/<id>/<name>` as a C string.
pub(crate) fn file_path(base: &[u8], id: u32, name: &str) -> Result<KVec<u8>> {
    build_path(base, id, |b| write!(b, "/{name}"))
}

pub(crate) fn cstr(bytes: &[u8]) -> Result<&CStr> {
    CStr::from_bytes_with_nul(bytes).map_err(|_| EINVAL)
}

/// Prints a path for log messages (without its NUL).
pub(crate) struct ShowPath<'a>(pub(crate) &'a [u8]);

impl kernel::fmt::Display for ShowPath<'_> {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        let bytes = self.0.strip_suffix(b"\0").unwrap_or(self.0);
        for &c in bytes {
            if c.is_ascii_graphic() || c == b' ' {
                f.write_char(c as char)?;
            } else {
                write!(f, "\\x{c:02x}")?;
            }
        }
        Ok(())
    }
}

fn zone_kind(geo: &Geometry, z: u32) -> &'static str {
    if z < geo.nr_conv_zones {
        "cnv"
    } else {
        "seq"
    }
}

/// `discard_write_cache` keeps write pointers in user extended attributes:
/// refuse the device (EOPNOTSUPP) if the file system of its directory has
/// none, rather than failing every flush later. Checked before any zone file
/// is created.
fn check_user_xattrs(file: &File, path: &[u8]) -> Result {
    let mut buf = [0u8; 8];
    match vfs::get_xattr(file, WP_XATTR, &mut buf) {
        Err(e) if vfs::is_no_xattr_support(e) => {
            pr_err!(
                "discard_write_cache needs user extended attributes, which the file system of {} does not support\n",
                ShowPath(path)
            );
            Err(e)
        }
        _ => Ok(()),
    }
}

/// `zloop<id>` as a C string (the workqueue name).
fn name_of(id: u32) -> Result<KVec<u8>> {
    struct N(KVec<u8>);
    impl Write for N {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            self.0
                .extend_from_slice(s.as_bytes(), GFP_KERNEL)
                .map_err(|_| core::fmt::Error)
        }
    }
    let mut n = N(KVec::new());
    write!(n, "zloop{id}\0").map_err(|_| ENOMEM)?;
    Ok(n.0)
}

/// Allocation flags of the per-zone tables, whose size comes from the
/// user's geometry: when it is too large the add fails with ENOMEM and says
/// so itself ([`Tables::new`]); the allocator must not warn.
fn table_gfp() -> kernel::alloc::Flags {
    GFP_KERNEL | __GFP_NOWARN
}

/// A per-zone table of `n` entries made by `init`.
fn table<T>(n: usize, init: impl Fn() -> T) -> Result<KVVec<T>> {
    let mut v = KVVec::with_capacity(n, table_gfp())?;
    for _ in 0..n {
        v.push(init(), table_gfp())?;
    }
    Ok(v)
}

/// The per-zone tables of a device, allocated before `add` touches a file.
struct Tables {
    meta: KVVec<ZoneMeta>,
    files: KVVec<BackingFile>,
    /// Room for [`NewFiles`].
    new_files: KVVec<ARef<File>>,
    suspect: KVVec<AtomicFlag>,
    unsynced: KVVec<AtomicFlag>,
    locks: Pin<KVBox<[ZoneLock]>>,
}

impl Tables {
    /// Bytes per zone of the tables.
    const ZONE_BYTES: usize = size_of::<ZoneMeta>()
        + size_of::<BackingFile>()
        + size_of::<ARef<File>>()
        + 2 * size_of::<AtomicFlag>()
        + size_of::<ZoneLock>();

    /// Kernel memory an open zone file takes beyond the tables (file,
    /// dentry, inode): about 1.7 KB on XFS (Documentation/performance.md);
    /// a lower bound here.
    const FILE_BYTES: usize = 1024;

    fn new(id: u32, n: usize) -> Result<Self> {
        // A device that cannot fit in the memory available fails at once:
        // otherwise the add would run for minutes, push the system into
        // reclaim and the OOM killer, and fail anyway.
        let need = (n as u64).saturating_mul((Self::ZONE_BYTES + Self::FILE_BYTES) as u64);
        let available = kapi::mem_available();
        if need > available {
            pr_err!(
                "zloop{}: not enough memory for {} zones (their tables and open files need about {} MiB, {} MiB available)\n",
                id,
                n,
                need >> 20,
                available >> 20
            );
            return Err(ENOMEM);
        }
        let tables = || -> Result<Self> {
            Ok(Tables {
                meta: table(n, || ZoneMeta::INIT)?,
                files: KVVec::with_capacity(n, table_gfp())?,
                new_files: KVVec::with_capacity(n, table_gfp())?,
                suspect: table(n, || AtomicFlag::new(false))?,
                unsynced: table(n, || AtomicFlag::new(false))?,
                locks: KVBox::pin_slice(
                    |_| {
                        try_pin_init!(ZoneLock {
                        lock <- new_mutex!(ZoneFile { prealloc_end: 0 })
                    }? Error)
                    },
                    n,
                    table_gfp(),
                )?,
            })
        };
        tables().inspect_err(|e| {
            if *e == ENOMEM {
                pr_err!(
                    "zloop{}: not enough memory for the tables of {} zones\n",
                    id,
                    n
                );
            }
        })
    }
}

/// Opens (creating them for a new device) the zone files of device `id`,
/// checks and sets up each one, and sets the write pointers of `zones` from
/// the sequential ones. Returns the files (in `files`, which has room for
/// them) and the device block size. Records the files it creates in `new`.
/// Stops with EINTR when the caller is killed.
fn open_zone_files(
    opts: &AddOptions<'_>,
    geo: &Geometry,
    new: &mut NewFiles,
    files: &mut KVVec<BackingFile>,
    zones: &mut Zones<KVVec<ZoneMeta>>,
) -> Result<DioAlign> {
    let id = new.id;
    // Existing zone files mean this device is being restored.
    let restore = ["cnv", "seq"].iter().any(|kind| {
        path(opts.base_dir, id, Some((kind, 0)))
            .and_then(|p| vfs::open(cstr(&p)?, O_RDONLY, 0))
            .is_ok()
    });
    let mut oflags = O_RDWR;
    if !opts.buffered_io {
        oflags |= O_DIRECT;
    }
    let unclean = restore && opts.discard_write_cache && marked_unclean(&new.dir, id)?;
    let mut rolled_back = 0;
    let mut align: Option<DioAlign> = None;
    let mut block_size = 0;
    for z in 0..geo.nr_zones {
        if kapi::fatal_signal_pending() {
            pr_err!("zloop{}: add interrupted by a fatal signal\n", id);
            return Err(EINTR);
        }
        let p = path(opts.base_dir, id, Some((zone_kind(geo, z), z)))?;
        let file = open_zone_file(cstr(&p)?, oflags, (!restore).then_some(&mut *new)).inspect_err(
            |e| {
                pr_err!(
                    "cannot open zone {} file {} (error {})\n",
                    z,
                    ShowPath(&p),
                    e.to_errno()
                );
            },
        )?;
        files.push(BackingFile::new(file), table_gfp())?;
        let file = files[files.len() - 1].file();
        if align.is_none() {
            let a = device_dio_align(geo, file)?;
            block_size = a.block_size;
            align = Some(a);
        }
        let zf = ZoneFileRef { file, path: &p, z };
        if z < geo.nr_conv_zones {
            zf.set_up_conventional(geo, restore)?;
        } else {
            let fault = if restore { zf.recorded_fault()? } else { None };
            let mut sectors = zf.set_up_sequential(geo, block_size)?;
            // A faulty zone keeps its file as it is until the fault goes.
            if unclean && fault.is_none() {
                let found = sectors;
                sectors = zf.roll_back(geo, block_size, sectors)?;
                rolled_back += u32::from(sectors != found);
            }
            zones.restore(z, sectors);
            if let Some(f) = fault {
                zones.set_fault(z, f.cond());
            }
            if opts.discard_write_cache {
                let mark = zones.cond(z).is_active().then(|| zones.wp(z));
                zf.record_stable_wp(mark)?;
                zones.set_recorded(z, mark);
            }
        }
    }
    if zones.nr_faults() != 0 {
        pr_info!(
            "zloop{}: {} zones are read-only or offline (user.zloop_rs.cond)\n",
            id,
            zones.nr_faults()
        );
    }
    if unclean {
        pr_info!(
            "zloop{}: not removed cleanly with discard_write_cache: the unflushed writes of {} zones discarded\n",
            id,
            rolled_back
        );
    }
    check_active_limit(geo, zones, id)?;
    mark_unclean(&new.dir, id, opts.discard_write_cache)?;
    align.ok_or(EINVAL)
}

/// A restored device must start within its active-zone limit: the zones
/// found neither empty nor full are active (closed), except those with a
/// recorded fault (read-only or offline zones are not active: this runs
/// after the faults are applied). Getting below the limit
/// would take finishing or resetting zones behind the user's back, which
/// changes the data they hold (a finish makes the unwritten rest of the
/// zone readable zeroes, a reset drops it all), so the add is refused; its
/// line says which limit works (the limit is a runtime option, so `add
/// id=N,max_active_zones=M` overrides a described one).
fn check_active_limit(geo: &Geometry, zones: &Zones<KVVec<ZoneMeta>>, id: u32) -> Result {
    let active = zones.nr_active();
    if geo.max_active_zones == 0 || active <= geo.max_active_zones {
        return Ok(());
    }
    pr_err!(
        "zloop{}: {} zones are partially written, more than max_active_zones={}; use max_active_zones={} or more, or 0 for no limit\n",
        id,
        active,
        geo.max_active_zones,
        active
    );
    Err(EINVAL)
}

/// Whether the id directory `dir` carries the mark of a device with
/// `discard_write_cache` that was not removed cleanly.
fn marked_unclean(dir: &File, id: u32) -> Result<bool> {
    match vfs::get_xattr(dir, UNCLEAN_XATTR, &mut []) {
        Ok(_) => Ok(true),
        Err(e) if vfs::is_no_xattr(e) => Ok(false),
        Err(e) => {
            pr_err!(
                "zloop{}: cannot read the unclean mark of the zone directory (error {})\n",
                id,
                e.to_errno()
            );
            Err(e)
        }
    }
}

/// At `add`: with `discard_write_cache`, marks the id directory `dir` as in
/// use by a device with the option. The roll-backs and zone attributes of
/// this `add` are synced first (so the mark never meets stale ones, whatever
/// the file system orders), and the mark before any write can reach a zone
/// file. Without the option, a mark left by a crash is stale (the files are
/// now what this run makes them) and is removed.
fn mark_unclean(dir: &File, id: u32, discard_write_cache: bool) -> Result {
    let r = if discard_write_cache {
        vfs::sync_fs(dir)
            .and_then(|()| vfs::set_xattr(dir, UNCLEAN_XATTR, b"1"))
            .and_then(|()| vfs::fsync(dir, false))
    } else {
        match vfs::remove_xattr(dir, UNCLEAN_XATTR) {
            Err(e) if vfs::is_no_xattr(e) || vfs::is_no_xattr_support(e) => Ok(()),
            r => r,
        }
    };
    r.inspect_err(|e| {
        pr_err!(
            "zloop{}: cannot {} the unclean mark of the zone directory (error {})\n",
            id,
            if discard_write_cache { "set" } else { "remove" },
            e.to_errno()
        );
    })
}

/// The direct-I/O alignment of a device whose first zone file is `file`;
/// its zone capacity must be a multiple of the block size.
fn device_dio_align(geo: &Geometry, file: &File) -> Result<DioAlign> {
    let align = vfs::dio_align(file);
    if geo.zone_capacity_sectors % u64::from(align.block_size >> 9).max(1) != 0 {
        pr_err!(
            "zone capacity is not aligned to the block size {} B\n",
            align.block_size
        );
        return Err(EINVAL);
    }
    Ok(align)
}

/// Opens zone file `path` with `oflags`. With `new`, creates the file if it
/// does not exist and records it there. It is created without `O_DIRECT`
/// and then reopened, so that a file system that refuses direct I/O leaves
/// no file behind that `new` does not know.
fn open_zone_file(path: &CStr, oflags: u32, new: Option<&mut NewFiles>) -> Result<ARef<File>> {
    if let Some(new) = new {
        match vfs::open(path, (oflags & !O_DIRECT) | O_CREAT | O_EXCL, 0o600) {
            Ok(file) => {
                new.push(file.clone())?;
                return if oflags & O_DIRECT != 0 {
                    vfs::open(path, oflags, 0)
                } else {
                    Ok(file)
                };
            }
            Err(e) if e == EEXIST => {}
            Err(e) => return Err(e),
        }
    }
    vfs::open(path, oflags, 0)
}

/// The zone files an `add` created, and its change to the description
/// file. Dropped before [`NewFiles::keep`] (the add failed at any point, up
/// to adding the disk), it removes the files again and undoes the change,
/// so that a failed or interrupted add leaves its directory as it was.
pub(crate) struct NewFiles {
    dir: ARef<File>,
    id: u32,
    nr_zones: u32,
    files: KVVec<ARef<File>>,
    description: descfile::Undo,
}

impl NewFiles {
    /// `files` has room for one file per zone.
    fn new(dir: ARef<File>, id: u32, nr_zones: u32, files: KVVec<ARef<File>>) -> Self {
        NewFiles {
            dir,
            id,
            nr_zones,
            files,
            description: descfile::Undo::Nothing,
        }
    }

    /// Records a created file (never allocates: there is room for every
    /// zone).
    fn push(&mut self, file: ARef<File>) -> Result {
        self.files.push(file, table_gfp())?;
        Ok(())
    }

    /// The add succeeded: the files stay, and so does the description.
    pub(crate) fn keep(mut self) {
        self.files.clear();
        self.description = descfile::Undo::Nothing;
    }
}

impl Drop for NewFiles {
    fn drop(&mut self) {
        core::mem::take(&mut self.description).undo(&self.dir, self.id);
        if self.files.is_empty() {
            return;
        }
        let removed = self
            .files
            .iter()
            .filter(|f| vfs::unlink(&self.dir, f).is_ok())
            .count();
        pr_err!(
            "zloop{}: add failed; removed {} of the {} zone files it created (of {})\n",
            self.id,
            removed,
            self.files.len(),
            self.nr_zones
        );
    }
}

/// A zone file being opened by `add`, for its checks and log lines.
struct ZoneFileRef<'a> {
    file: &'a File,
    path: &'a [u8],
    z: u32,
}

impl ZoneFileRef<'_> {
    fn size(&self) -> Result<vfs::Size> {
        vfs::size_and_blocks(self.file).inspect_err(|e| {
            pr_err!(
                "cannot stat zone {} file {} (error {})\n",
                self.z,
                ShowPath(self.path),
                e.to_errno()
            );
        })
    }

    /// A conventional zone file is always one zone long; on restore it
    /// must already be.
    fn set_up_conventional(&self, geo: &Geometry, restore: bool) -> Result {
        let size = self.size()?.bytes;
        let zone_bytes = geo.zone_sectors << 9;
        if restore && size != zone_bytes {
            pr_err!(
                "conventional zone {} file {} has {} B, not the zone size {} B\n",
                self.z,
                ShowPath(self.path),
                size,
                zone_bytes
            );
            return Err(EINVAL);
        }
        vfs::truncate(self.file, zone_bytes).inspect_err(|e| {
            pr_err!(
                "cannot size zone {} file {} (error {})\n",
                self.z,
                ShowPath(self.path),
                e.to_errno()
            );
        })
    }

    /// Checks a sequential zone file and returns its length in sectors (the
    /// write pointer). Blocks left allocated beyond its end (preallocation
    /// of a device that was never removed, e.g. after a crash) are given
    /// back.
    fn set_up_sequential(&self, geo: &Geometry, block_size: u32) -> Result<u64> {
        let size = self.size()?;
        let sectors =
            seq_file_sectors(size.bytes, geo.zone_capacity_sectors, block_size).map_err(|e| {
                let why = match e {
                    SizeError::TooLarge => "is larger than the zone capacity",
                    SizeError::Unaligned => "is not a multiple of the block size",
                };
                pr_err!(
                    "zone {} file {} {} ({} B)\n",
                    self.z,
                    ShowPath(self.path),
                    why,
                    size.bytes
                );
                EINVAL
            })?;
        if size.allocated > size.bytes {
            let zone_bytes = geo.zone_sectors << 9;
            let _ = vfs::fallocate(
                self.file,
                falloc::PUNCH_HOLE | falloc::KEEP_SIZE,
                size.bytes,
                zone_bytes - size.bytes,
            );
        }
        Ok(sectors)
    }

    /// `discard_write_cache` after a crash: a zone that is neither empty nor
    /// full is cut back to its recorded write pointer (its zone start when
    /// it has none: it was empty at the last `add` or reset, or never
    /// flushed since), as a clean `remove` would have done. Returns the
    /// zone's length in sectors.
    fn roll_back(&self, geo: &Geometry, block_size: u32, sectors: u64) -> Result<u64> {
        if sectors == 0 || sectors >= geo.zone_capacity_sectors {
            return Ok(sectors);
        }
        let start = u64::from(self.z) << geo.zone_shift;
        let mut buf = [0u8; 8];
        let mark = match vfs::get_xattr(self.file, WP_XATTR, &mut buf) {
            Ok(8) => u64::from_ne_bytes(buf),
            Err(e) if vfs::is_no_xattr(e) => start,
            _ => {
                pr_err!(
                    "zone {} file {}: unreadable recorded write pointer\n",
                    self.z,
                    ShowPath(self.path)
                );
                return Err(EINVAL);
            }
        };
        let keep = match mark.checked_sub(start) {
            Some(keep) if keep < sectors => keep,
            _ => return Ok(sectors),
        };
        if keep % u64::from(block_size >> 9).max(1) != 0 {
            pr_err!(
                "zone {} file {}: recorded write pointer {} is not aligned to the block size\n",
                self.z,
                ShowPath(self.path),
                mark
            );
            return Err(EINVAL);
        }
        vfs::truncate(self.file, keep << 9).inspect_err(|e| {
            pr_err!(
                "cannot roll back zone {} file {} (error {})\n",
                self.z,
                ShowPath(self.path),
                e.to_errno()
            );
        })?;
        Ok(keep)
    }

    /// `discard_write_cache`: what `add` finds is stable, so the recorded
    /// write pointer of an active zone is its write pointer now, and other
    /// zones have none (a value left by an earlier run would be stale).
    fn record_stable_wp(&self, mark: Option<u64>) -> Result {
        let r = if let Some(wp) = mark {
            vfs::set_xattr(self.file, WP_XATTR, &wp.to_ne_bytes())
        } else {
            match vfs::remove_xattr(self.file, WP_XATTR) {
                Err(e) if vfs::is_no_xattr(e) => Ok(()),
                r => r,
            }
        };
        r.inspect_err(|e| {
            pr_err!(
                "cannot record the write pointer of zone {} in {} (error {})\n",
                self.z,
                ShowPath(self.path),
                e.to_errno()
            );
        })
    }
}

/// A refused zone operation is an I/O error for the block layer (as
/// upstream), except one beyond the active-zone limit: EOVERFLOW, which the
/// block layer turns into `BLK_STS_ZONE_ACTIVE_RESOURCE` (and back into
/// EOVERFLOW for user space).
fn zone_error(e: ZoneError) -> Error {
    match e {
        ZoneError::ActiveLimit => EOVERFLOW,
        _ => EIO,
    }
}

impl Device {
    /// Opens (or creates) the zone files of device `id`, makes its
    /// description file say `desc`, and builds the device, which owns the
    /// id from now on; the caller then adds its disk with
    /// [`Device::add_disk`] and keeps the files created and the description
    /// (the second value) once that succeeded.
    pub(crate) fn create(
        opts: &AddOptions<'_>,
        geo: Geometry,
        reservation: Reservation,
        prealloc_mb: u32,
        desc: Description<'_>,
    ) -> Result<(Arc<Device>, NewFiles)> {
        let nr = reservation.id();
        // Declared before `new`, so dropped after it: when the device cannot
        // be built, its id stays reserved until the files this add created
        // are removed (another add of the id would take them for its own).
        let mut reservation = Some(reservation);
        let reservation = &mut reservation;
        let wq = Workqueue::new_unbound(cstr(&name_of(nr)?)?, {
            opts.nr_queues.saturating_mul(opts.queue_depth)
        })?;
        let dir_path = path(opts.base_dir, nr, None)?;
        let dir = vfs::open(cstr(&dir_path)?, O_RDONLY | O_DIRECTORY, 0).inspect_err(|e| {
            pr_err!(
                "cannot open directory {} (error {})\n",
                ShowPath(&dir_path),
                e.to_errno()
            );
        })?;
        if opts.discard_write_cache {
            check_user_xattrs(&dir, &dir_path)?;
        }

        let mut t = Tables::new(nr, geo.nr_zones as usize)?;
        let mut new = NewFiles::new(dir.clone(), nr, geo.nr_zones, t.new_files);
        let mut zones = Zones::new(geo, t.meta).ok_or(EINVAL)?;
        let align = open_zone_files(opts, &geo, &mut new, &mut t.files, &mut zones)?;
        new.description = descfile::store(&dir, opts.base_dir, nr, desc)?;
        let nr_faults = zones.nr_faults();
        let mut base_dir = KVec::new();
        base_dir.extend_from_slice(opts.base_dir, GFP_KERNEL)?;
        let in_effect = AddOptions {
            base_dir: b"",
            ..opts.in_effect(&geo, nr)
        };

        let dev = Arc::pin_init(
            try_pin_init!(Device {
                wq,
                tag_set <- TagSet::new(opts.nr_queues, opts.queue_depth),
                id: nr,
                state: Atomic::new(CREATING),
                geo,
                block_size: align.block_size,
                // Direct I/O hands the request's memory to the backing file
                // as it is: it must be aligned as the file wants it.
                dma_alignment: if opts.buffered_io {
                    0
                } else {
                    align.mem_mask.max(511)
                },
                buffered_io: opts.buffered_io,
                zone_append: opts.zone_append,
                ordered_zone_append: opts.ordered_zone_append_effective(),
                discard_write_cache: opts.discard_write_cache,
                prealloc_bytes: u64::from(prealloc_mb) << 20,
                prealloc_ok: AtomicFlag::new(prealloc_mb != 0),
                files: t.files,
                dir,
                in_effect,
                base_dir,
                counters: Counters::new(),
                suspect: t.suspect,
                unsynced: t.unsynced,
                flush_lock <- new_mutex!(()),
                locks: t.locks,
                zones <- new_spinlock!(zones),
                faults <- inject::Faults::new(nr_faults),
                _id: reservation.take().ok_or(EINVAL)?,
            }),
            GFP_KERNEL,
        )?;
        Ok((dev, new))
    }

    /// Creates and adds the disk of `dev`; then the device is live.
    pub(crate) fn add_disk(dev: &Arc<Device>) -> Result<GenDisk<Device>> {
        let geo = &dev.geo;
        let cfg = DiskConfig {
            id: dev.id,
            capacity_sectors: geo.capacity_sectors(),
            zone_sectors: geo.zone_sectors as u32,
            block_size: dev.block_size,
            dma_alignment: dev.dma_alignment,
            max_hw_sectors: MAX_HW_SECTORS,
            max_zone_append_sectors: if dev.zone_append { MAX_HW_SECTORS } else { 0 },
            max_open_zones: geo.max_open_zones,
            max_active_zones: geo.max_active_zones,
        };
        if hooks::take_add_disk_failure() {
            pr_err!("zloop{}: test hook: add_disk fails\n", dev.id);
            return Err(EIO);
        }
        let disk = GenDisk::add(dev.clone(), &cfg, &device_sysfs::VIEW)?;
        dev.state.store(LIVE, Release);
        pr_info!(
            "zloop{}: {} zones of {} MiB, {} B block size, {}{} zone append\n",
            dev.id,
            geo.nr_zones,
            geo.zone_sectors >> 11,
            dev.block_size,
            if dev.ordered_zone_append {
                "ordered "
            } else {
                ""
            },
            if dev.zone_append {
                "native"
            } else {
                "emulated"
            }
        );
        Ok(disk)
    }

    /// The device id.
    pub(crate) fn id(&self) -> u32 {
        self.id
    }

    /// The options in effect: those of an `add` that recreates the device.
    pub(crate) fn options(&self) -> AddOptions<'_> {
        let (nr_queues, queue_depth) = self.tag_set.shape();
        AddOptions {
            base_dir: &self.base_dir,
            nr_queues,
            queue_depth,
            ..self.in_effect
        }
    }

    /// The number of zones.
    pub(crate) fn nr_zones(&self) -> u32 {
        self.geo.nr_zones
    }

    /// What the device did since `add`.
    pub(crate) fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Ends `rq` with `result`, counted.
    fn end(&self, rq: Request<Self>, result: Result) {
        self.counters.ended(rq.op(), result.is_ok());
        rq.end(result);
    }

    /// Marks the device as going away: new requests fail quietly, opens fail.
    pub(crate) fn set_deleting(&self) {
        self.state.store(DELETING, Release);
    }

    /// Whether `discard_write_cache` is set.
    pub(crate) fn discards_write_cache(&self) -> bool {
        self.discard_write_cache
    }

    fn file(&self, z: u32) -> &File {
        self.files[z as usize].file()
    }

    fn is_conventional(&self, z: u32) -> bool {
        z < self.geo.nr_conv_zones
    }

    fn zone_start(&self, z: u32) -> u64 {
        u64::from(z) << self.geo.zone_shift
    }

    /// The zone of a request, if the request lies inside one zone.
    fn zone_of(&self, sector: u64, nr: u64) -> Option<u32> {
        let z = sector >> self.geo.zone_shift;
        if z >= u64::from(self.geo.nr_zones) {
            return None;
        }
        let z = z as u32;
        if sector + nr > self.zone_start(z) + self.geo.zone_sectors {
            return None;
        }
        Some(z)
    }

    /// Re-reads the write pointer of sequential zone `z` from its file size.
    /// The caller holds `locks[z]`.
    fn resync(&self, z: u32) -> Result {
        // Writes still in flight would change the size after it was read:
        // the zone would then accept writes over data they acknowledged.
        vfs::wait_for_direct_io(self.file(z));
        let size = vfs::size(self.file(z)).inspect_err(|e| {
            pr_err!(
                "zloop{}: cannot stat zone {} file (error {})\n",
                self.id,
                z,
                e.to_errno()
            );
            self.suspect[z as usize].store(true, Release);
        })?;
        let sectors = seq_file_sectors(size, self.geo.zone_capacity_sectors, self.block_size)
            .map_err(|_| {
                pr_err!(
                    "zloop{}: zone {} file has an invalid size ({} B)\n",
                    self.id,
                    z,
                    size
                );
                // Still in doubt: the next access tries again.
                self.suspect[z as usize].store(true, Release);
                EINVAL
            })?;
        self.zones.lock().set_written(z, sectors);
        self.counters.resynced();
        if self.discard_write_cache {
            // The re-read may have pulled the mark back below a recorded one
            // (a flush marked the zone full while its last write was still
            // in flight): a crash must not roll back further than this.
            let mark = self.zones.lock().flushed(z);
            let _ = self.set_stable_mark(z, mark);
        }
        Ok(())
    }

    /// Re-reads zone `z` if a failed write left it in doubt.
    fn resync_if_suspect(&self, z: u32) -> Result {
        // A plain load first: the common case (no error) then costs no
        // atomic read-modify-write on every I/O.
        let flag = &self.suspect[z as usize];
        if !self.is_conventional(z) && flag.load(Relaxed) && flag.xchg(false, Full) {
            let _guard = self.locks[z as usize].lock.lock();
            return self.resync(z);
        }
        Ok(())
    }

    fn read_write(&self, rq: Request<Self>) {
        let op = rq.op();
        let sector = rq.sector();
        let nr = rq.nr_sectors();
        let Some(z) = self.zone_of(sector, nr) else {
            pr_err!(
                "zloop{}: I/O at sector {} (+{}) crosses a zone or the end\n",
                self.id,
                sector,
                nr
            );
            return self.end(rq, Err(EIO));
        };
        if op == Op::ZoneAppend && !self.zone_append {
            pr_err!("zloop{}: zone append with zone_append=0\n", self.id);
            return self.end(rq, Err(EIO));
        }
        let pos = (sector - self.zone_start(z)) << 9;
        let direct = !self.buffered_io;
        if op == Op::Read {
            if let Err(e) = self
                .read_fault(z, sector, nr)
                .and_then(|()| self.resync_if_suspect(z))
            {
                return self.end(rq, Err(e));
            }
            return rq.submit_rw(self.file(z), pos, false, direct);
        }
        if self.is_conventional(z) {
            if let Err(e) = self.bad_range(sector, nr, true) {
                return self.end(rq, Err(e));
            }
            return rq.submit_rw(self.file(z), pos, true, direct);
        }
        self.write_seq(rq, z)
    }

    /// A write or zone append to sequential zone `z`: update the write
    /// pointer and submit the data under the zone lock, so that the file
    /// sees writes in order.
    fn write_seq(&self, rq: Request<Self>, z: u32) {
        let op = rq.op();
        if op == Op::ZoneAppend {
            hooks::append_delay();
        }
        let mut zfile = self.locks[z as usize].lock.lock();
        if self.suspect[z as usize].xchg(false, Full) {
            if let Err(e) = self.resync(z) {
                return self.end(rq, Err(e));
            }
        }
        let (sector, nr) = (rq.sector(), rq.nr_sectors());
        // A bad range fails the write before the write pointer moves. An
        // append's sector is the write pointer, which only changes under
        // the zone mutex (ordered appends were checked in `queue_rq`).
        let at = match op {
            Op::ZoneAppend if !self.ordered_zone_append => self.zones.lock().wp(z),
            _ => sector,
        };
        if let Err(e) = self.bad_range(at, nr, true) {
            return self.end(rq, Err(e));
        }
        let target = {
            let mut zones = self.zones.lock();
            match op {
                Op::ZoneAppend if self.ordered_zone_append => {
                    // Assigned in `queue_rq`: stale if the zone was reset,
                    // finished or re-read since.
                    if u64::from(zones.epoch(z)) == rq.tag() {
                        Ok(sector)
                    } else {
                        Err(None)
                    }
                }
                Op::ZoneAppend => zones.prep_append(z, nr).map_err(Some),
                _ => zones
                    .prep_write(z, sector, nr)
                    .map(|()| sector)
                    .map_err(Some),
            }
        };
        let s = match target {
            Ok(s) => s,
            Err(e) => return self.end(rq, Err(self.refused_write(z, sector, e))),
        };
        if hooks::take_write_failure() {
            pr_err!("zloop{}: zone {}: injected write failure\n", self.id, z);
            self.suspect[z as usize].store(true, Release);
            return self.end(rq, Err(EIO));
        }
        if op == Op::ZoneAppend {
            rq.set_sector(s);
        }
        let pos = (s - self.zone_start(z)) << 9;
        self.preallocate(z, &mut zfile, pos + (nr << 9));
        rq.submit_rw(self.file(z), pos, true, !self.buffered_io);
    }

    /// The error of a sequential write or append the zone state refused
    /// (`None`: an ordered append whose sector went stale), with its log line.
    fn refused_write(&self, z: u32, sector: u64, e: Option<ZoneError>) -> Error {
        match e {
            None => pr_err!(
                "zloop{}: zone {}: ordered zone append at sector {} dropped: the zone was reset, finished, re-read or made read-only or offline since it was queued\n",
                self.id,
                z,
                sector
            ),
            Some(ZoneError::Unaligned { wp }) => pr_err!(
                "zloop{}: zone {}: unaligned write at sector {}, write pointer {}\n",
                self.id,
                z,
                sector,
                wp
            ),
            Some(e) => return zone_error(e),
        }
        EIO
    }

    /// With `prealloc_mb`, makes sure the blocks of zone `z`'s file are
    /// allocated up to byte `end` (and `prealloc_mb` beyond, within the zone
    /// capacity) before a write there, so the write itself allocates nothing.
    /// The file size, which is the write pointer, does not change.
    fn preallocate(&self, z: u32, zfile: &mut ZoneFile, end: u64) {
        if end <= zfile.prealloc_end || !self.prealloc_ok.load(Relaxed) {
            return;
        }
        let cap = self.geo.zone_capacity_sectors << 9;
        let from = zfile.prealloc_end;
        let to = end.saturating_add(self.prealloc_bytes).min(cap);
        match vfs::fallocate(self.file(z), falloc::KEEP_SIZE, from, to - from) {
            Ok(()) => zfile.prealloc_end = to,
            Err(e) if vfs::is_no_xattr_support(e) => {
                // Several zones may get here at once: one line per device.
                if self.prealloc_ok.xchg(false, Relaxed) {
                    pr_info!(
                        "zloop{}: the backing file system cannot preallocate, prealloc_mb ignored\n",
                        self.id
                    );
                }
            }
            // Out of space or any other failure: the write allocates itself.
            Err(_) => {}
        }
    }

    /// Gives back the blocks preallocated beyond the write pointer of every
    /// sequential zone (at remove, when no I/O runs any more).
    pub(crate) fn trim_preallocation(&self) {
        if self.prealloc_bytes == 0 {
            return;
        }
        for z in self.geo.nr_conv_zones..self.geo.nr_zones {
            let mut zfile = self.locks[z as usize].lock.lock();
            if zfile.prealloc_end == 0 {
                continue;
            }
            if let Ok(size) = vfs::size(self.file(z)) {
                if zfile.prealloc_end > size {
                    let _ = vfs::fallocate(
                        self.file(z),
                        falloc::PUNCH_HOLE | falloc::KEEP_SIZE,
                        size,
                        zfile.prealloc_end - size,
                    );
                }
            }
            zfile.prealloc_end = 0;
        }
    }

    fn open_zone(&self, z: u32) -> Result {
        if self.is_conventional(z) {
            return Err(EIO);
        }
        let _guard = self.locks[z as usize].lock.lock();
        if self.suspect[z as usize].xchg(false, Full) {
            self.resync(z)?;
        }
        self.zones.lock().open(z).map_err(zone_error)
    }

    fn close_zone(&self, z: u32) -> Result {
        if self.is_conventional(z) {
            return Err(EIO);
        }
        let _guard = self.locks[z as usize].lock.lock();
        if self.suspect[z as usize].xchg(false, Full) {
            self.resync(z)?;
        }
        self.zones.lock().close(z).map_err(zone_error)
    }

    /// RESET of zone `z`; as part of a reset of all zones (`all`), a zone
    /// in a fault condition is left as it is (as null_blk does).
    fn reset_zone(&self, z: u32, all: bool) -> Result {
        if self.is_conventional(z) {
            return Err(EIO);
        }
        let mut zfile = self.locks[z as usize].lock.lock();
        let suspect = self.suspect[z as usize].load(Acquire);
        let needed = {
            let zones = self.zones.lock();
            if all && zones.cond(z).is_fault() {
                Ok(false)
            } else {
                zones.reset_needed(z, suspect)
            }
        };
        if !needed.map_err(zone_error)? {
            return Ok(());
        }
        // Truncating frees every block, preallocated ones included.
        zfile.prealloc_end = 0;
        let truncated = vfs::truncate(self.file(z), 0);
        if truncated.is_ok() {
            self.zones.lock().reset_done(z);
            self.suspect[z as usize].store(false, Release);
            if self.discard_write_cache {
                self.forget_stable_wp(z);
            }
        } else {
            self.suspect[z as usize].store(true, Release);
        }
        // After every change to the file, so that a flush covers them all.
        self.unsynced[z as usize].store(true, Release);
        truncated.map_err(|_| EIO)
    }

    /// `discard_write_cache`: an empty zone has no recorded write pointer.
    fn forget_stable_wp(&self, z: u32) {
        match vfs::remove_xattr(self.file(z), WP_XATTR) {
            Err(e) if !vfs::is_no_xattr(e) => pr_err!(
                "zloop{}: cannot remove the recorded write pointer of zone {} (error {})\n",
                self.id,
                z,
                e.to_errno()
            ),
            _ => self.zones.lock().set_recorded(z, None),
        }
    }

    fn reset_all(&self) -> Result {
        for z in self.geo.nr_conv_zones..self.geo.nr_zones {
            self.reset_zone(z, true)?;
        }
        Ok(())
    }

    fn finish_zone(&self, z: u32) -> Result {
        if self.is_conventional(z) {
            return Err(EIO);
        }
        let _guard = self.locks[z as usize].lock.lock();
        let suspect = self.suspect[z as usize].load(Acquire);
        if !self
            .zones
            .lock()
            .finish_needed(z, suspect)
            .map_err(zone_error)?
        {
            return Ok(());
        }
        let truncated = vfs::truncate(self.file(z), self.geo.zone_capacity_sectors << 9);
        self.unsynced[z as usize].store(true, Release);
        if truncated.is_err() {
            self.suspect[z as usize].store(true, Release);
            return Err(EIO);
        }
        self.zones.lock().finish_done(z);
        self.suspect[z as usize].store(false, Release);
        Ok(())
    }

    /// FLUSH: everything that completed before it reaches stable storage.
    /// With `discard_write_cache`, first record the write pointer of every
    /// active zone that moved; then sync every zone file changed since the
    /// last flush (`fdatasync`, or `fsync` when extended attributes
    /// changed), which makes the file system flush its device's cache too.
    fn flush(&self) -> Result {
        // One flush at a time (there is a flush queue per hardware queue):
        // a flush that finds a zone's mark cleared must not complete before
        // the flush that cleared it has synced the zone.
        let _one_at_a_time = self.flush_lock.lock();
        if self.discard_write_cache {
            self.record_stable_wps()?;
        }
        for z in 0..self.geo.nr_zones {
            let flag = &self.unsynced[z as usize];
            if !flag.load(Relaxed) || !flag.xchg(false, Full) {
                continue;
            }
            hooks::flush_delay();
            vfs::fsync(self.file(z), !self.discard_write_cache).inspect_err(|e| {
                flag.store(true, Release);
                pr_err!(
                    "zloop{}: cannot sync zone {} (error {})\n",
                    self.id,
                    z,
                    e.to_errno()
                );
            })?;
        }
        Ok(())
    }

    /// `discard_write_cache` part of a flush: the write pointer of every
    /// sequential zone becomes its stable mark, kept in memory (for
    /// `remove`) and, for active zones, in the zone file's `user.zloop.wp`
    /// (for the C zloop, and for `add` after a crash).
    fn record_stable_wps(&self) -> Result {
        for z in self.geo.nr_conv_zones..self.geo.nr_zones {
            // The zone mutex keeps writes and a reset from running between
            // the mark and its attribute.
            let _guard = self.locks[z as usize].lock.lock();
            let mark = self.zones.lock().flush_mark(z);
            self.set_stable_mark(z, mark)?;
        }
        Ok(())
    }

    /// Makes `mark` the stable mark of sequential zone `z` (under its
    /// mutex). An active zone's attribute is set first when it holds
    /// anything else, so the mark never moves past what a crash would find;
    /// when that fails the mark stays, and the next flush tries again.
    fn set_stable_mark(&self, z: u32, mark: u64) -> Result {
        let (active, recorded) = {
            let zones = self.zones.lock();
            (zones.cond(z).is_active(), zones.recorded(z))
        };
        if active && recorded != Some(mark) {
            vfs::set_xattr(self.file(z), WP_XATTR, &mark.to_ne_bytes()).inspect_err(|e| {
                pr_err!(
                    "zloop{}: cannot record the write pointer of zone {} (error {})\n",
                    self.id,
                    z,
                    e.to_errno()
                );
            })?;
            self.unsynced[z as usize].store(true, Release);
            self.zones.lock().set_recorded(z, Some(mark));
        }
        self.zones.lock().set_flushed(z, mark);
        Ok(())
    }

    /// On remove with `discard_write_cache`: truncates every active zone back
    /// to its stable mark (what `add` found, or the last flush recorded).
    pub(crate) fn forget_cache(&self) {
        pr_info!("zloop{}: discarding volatile write cache\n", self.id);
        let mut clean = true;
        for z in self.geo.nr_conv_zones..self.geo.nr_zones {
            let (cond, wp, flushed) = {
                let zones = self.zones.lock();
                (zones.cond(z), zones.wp(z), zones.flushed(z))
            };
            if !cond.is_active() || flushed >= wp {
                continue;
            }
            let len = (flushed - self.zone_start(z)) << 9;
            if let Err(e) = vfs::truncate(self.file(z), len) {
                clean = false;
                pr_err!(
                    "zloop{}: cannot truncate zone {} (error {})\n",
                    self.id,
                    z,
                    e.to_errno()
                );
            }
        }
        // Only now is the directory what the option promises: the next
        // `add` need not roll back (a failed truncate leaves it to it).
        if clean {
            if let Err(e) = vfs::remove_xattr(&self.dir, UNCLEAN_XATTR) {
                pr_err!(
                    "zloop{}: cannot remove the unclean mark of the zone directory (error {})\n",
                    self.id,
                    e.to_errno()
                );
            }
        }
    }

    /// How a read or write that [`Request::submit_rw`] started ends, now
    /// that its file I/O finished with `result` (see [`Driver::complete`]).
    fn rw_ended(&self, rq: &RequestRef<'_>, result: isize) -> Result {
        let z = (rq.sector() >> self.geo.zone_shift) as u32;
        let bytes = u64::from(rq.bytes());
        if rq.op() == Op::Read {
            if result < 0 {
                self.log_failed(rq, z, "read", result);
                return Err(Error::from_errno(result as i32));
            }
            if (result as u64) < bytes {
                // Beyond the end of the zone file: zeroes.
                rq.zero_from(result as u32);
            }
            return Ok(());
        }
        if let Some(flag) = self.unsynced.get(z as usize) {
            flag.store(true, Release);
        }
        if result >= 0 && result as u64 == bytes {
            return Ok(());
        }
        if result >= 0 {
            pr_err!(
                "zloop{}: zone {}: partial write {}/{} B\n",
                self.id,
                z,
                result,
                bytes
            );
        }
        let result = if result < 0 {
            result
        } else {
            -(kernel::bindings::EIO as isize)
        };
        self.log_failed(rq, z, "write", result);
        if !self.is_conventional(z) {
            if let Some(flag) = self.suspect.get(z as usize) {
                flag.store(true, Release);
            }
        }
        Err(Error::from_errno(result as i32))
    }

    /// What `queue_rq` does with `rq`: fail it while the device goes away,
    /// assign the sector of an ordered zone append, else queue its work.
    fn admit(&self, rq: &RequestRef<'_>) -> Queued {
        if self.state.load(Relaxed) == DELETING {
            return Queued::FailQuietly;
        }
        if self.ordered_zone_append && rq.op() == Op::ZoneAppend {
            // Assign the sector now, so appends land in submission order;
            // the work item writes it only if the zone's epoch is still
            // this one (see `write_seq`).
            let nr = rq.nr_sectors();
            let Some(z) = self.zone_of(rq.sector(), nr) else {
                return Queued::Fail(EIO);
            };
            if self.is_conventional(z) {
                return Queued::Fail(EIO);
            }
            let mut zones = self.zones.lock();
            // A bad range fails the append before the write pointer moves.
            if let Err(e) = self.bad_range(zones.wp(z), nr, true) {
                return Queued::Fail(e);
            }
            match zones.prep_append(z, nr) {
                Ok(s) => {
                    rq.set_sector(s);
                    rq.set_tag(u64::from(zones.epoch(z)));
                }
                Err(e) => return Queued::Fail(zone_error(e)),
            }
        }
        Queued::Work
    }

    fn log_failed(&self, rq: &RequestRef<'_>, z: u32, what: &str, errno: isize) {
        pr_err!(
            "zloop{}: zone {}: {} of sector {} (+{}) failed (error {})\n",
            self.id,
            z,
            what,
            rq.sector(),
            rq.nr_sectors(),
            errno
        );
    }

    /// The zone number of a zone-management request (the block layer sends
    /// them for whole zones).
    fn mgmt_zone(&self, rq: &Request<Self>) -> Result<u32> {
        self.zone_of(rq.sector(), 0).ok_or(EIO)
    }
}

impl Driver for Device {
    fn tag_set(&self) -> &TagSet<Self> {
        &self.tag_set
    }

    fn workqueue(&self) -> &Workqueue {
        &self.wq
    }

    fn queue_rq(&self, rq: &RequestRef<'_>) -> Queued {
        let queued = self.admit(rq);
        if !matches!(queued, Queued::Work) {
            self.counters.ended(rq.op(), false);
        }
        queued
    }

    fn work(&self, rq: Request<Self>) {
        rq.clear_nowait();
        let result = match rq.op() {
            Op::Read | Op::Write | Op::ZoneAppend => return self.read_write(rq),
            Op::Flush => self.flush(),
            Op::ZoneReset => self.mgmt_zone(&rq).and_then(|z| self.reset_zone(z, false)),
            Op::ZoneResetAll => self.reset_all(),
            Op::ZoneFinish => self.mgmt_zone(&rq).and_then(|z| self.finish_zone(z)),
            Op::ZoneOpen => self.mgmt_zone(&rq).and_then(|z| self.open_zone(z)),
            Op::ZoneClose => self.mgmt_zone(&rq).and_then(|z| self.close_zone(z)),
            Op::Other(op) => {
                pr_err!("zloop{}: unsupported operation {}\n", self.id, op);
                Err(Error::from_errno(-(kernel::bindings::EOPNOTSUPP as i32)))
            }
        };
        self.end(rq, result);
    }

    fn complete(&self, rq: &RequestRef<'_>, result: isize) -> Result {
        let ended = self.rw_ended(rq, result);
        self.counters.ended(rq.op(), ended.is_ok());
        ended
    }

    fn open(&self) -> Result {
        if self.state.load(Acquire) == LIVE {
            Ok(())
        } else {
            Err(ENXIO)
        }
    }

    fn report_zones(
        &self,
        sector: u64,
        nr_zones: u32,
        report: &mut ZoneReporter<'_>,
    ) -> Result<u32> {
        let first = sector >> self.geo.zone_shift;
        if first >= u64::from(self.geo.nr_zones) {
            return Ok(0);
        }
        let first = first as u32;
        let n = nr_zones.min(self.geo.nr_zones - first);
        for i in 0..n {
            let z = first + i;
            self.resync_if_suspect(z)?;
            let info = self.zones.lock().info(z);
            report.report(i, &info)?;
        }
        Ok(n)
    }
}
