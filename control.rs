// SPDX-License-Identifier: GPL-2.0

//! `/dev/zloop-control`: the misc device that takes `add` and `remove`
//! commands, and the table of devices they create.
//!
//! Lifetime of an id: `add` reserves it (a [`Reservation`], which the new
//! [`Device`] then owns), fills it with the live device, and `remove` takes
//! the device out again; the id stays reserved until the `Device` is dropped
//! (when the block layer frees the disk, which waits for the last opener),
//! so no new device can use the id, its sysfs name or its zone files while
//! the old one still exists.
//!
//! Locking: the table mutex is never held while a device, a disk or a
//! [`Reservation`] is dropped (dropping a reservation takes it).

use kernel::{
    fs::{File, Kiocb},
    iov::{IovIterDest, IovIterSource},
    miscdevice::{MiscDevice, MiscDeviceRegistration},
    page::PAGE_SIZE,
    prelude::*,
    sync::Arc,
    time::{delay::fsleep, Delta},
};

use crate::{
    descfile::describe,
    device::Device,
    hooks,
    kapi::{self, blk::GenDisk, global, misc::OwnedMiscRegistration, module::ModuleRef},
    options::{geometry, parse_command, AddOptions, Command, Errno, ParseError, CONTROL_TEXT},
};

/// Registers the control device (dynamic minor, mode 0600 like the C driver).
pub(crate) fn register(
    module: &'static ThisModule,
) -> impl PinInit<OwnedMiscRegistration<ControlFile>, Error> {
    global::init();
    OwnedMiscRegistration::register(c"zloop-control", module)
}

/// An open control file. Every write is one whole command: no state. The
/// kernel keeps the module loaded while the file is open (`.owner`).
pub(crate) struct ControlFile;

#[vtable]
impl MiscDevice for ControlFile {
    type Ptr = KBox<Self>;

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<KBox<Self>> {
        Ok(KBox::new(ControlFile, GFP_KERNEL)?)
    }

    fn release(this: KBox<Self>, _file: &File) {
        drop(this);
        hooks::release_delay();
    }

    fn read_iter(mut kiocb: Kiocb<'_, KBox<Self>>, iov: &mut IovIterDest<'_>) -> Result<usize> {
        iov.simple_read_from_buffer(kiocb.ki_pos_mut(), CONTROL_TEXT.as_bytes())
    }

    fn write_iter(_kiocb: Kiocb<'_, KBox<Self>>, iov: &mut IovIterSource<'_>) -> Result<usize> {
        let len = iov.len();
        if len > PAGE_SIZE {
            pr_err!("command longer than {} bytes\n", PAGE_SIZE);
            return Err(ENOMEM);
        }
        let mut buf = KVec::with_capacity(len, GFP_KERNEL)?;
        if iov.copy_from_iter_vec(&mut buf, GFP_KERNEL)? != len {
            return Err(EFAULT);
        }
        if let Some(done) = hooks::control_command(&buf) {
            return done.map(|()| len);
        }
        match parse_command(&buf, PAGE_SIZE).map_err(parse_error)? {
            Command::Add(opts) => add(opts)?,
            Command::Remove { id } => remove(id)?,
        }
        Ok(len)
    }
}

fn parse_error(e: ParseError) -> Error {
    pr_err!("{}\n", e.msg);
    match e.errno {
        Errno::Inval => EINVAL,
        Errno::NoMem => ENOMEM,
    }
}

/// `add`: create (or restore) a device. The description file of its
/// directory completes the command's options (`descfile::describe`). For an
/// `add` with a free id that happens before anything else, so that the
/// options are checked as upstream checks a command (without a description:
/// exactly so); for one without an id, or with an id in use (which fails
/// as upstream, with EEXIST or EBUSY), once the id is reserved.
fn add(cmd: AddOptions<'_>) -> Result {
    // (The file is read without the table lock.)
    let free_id = match cmd.id {
        Some(id) if !global::devices()?.is_taken(id) => Some(id),
        _ => None,
    };
    let early = free_id.map(|id| describe(&cmd, id)).transpose()?;
    geometry(early.as_ref().map_or(&cmd, |d| &d.opts)).map_err(parse_error)?;
    let module = ModuleRef::try_get()?;
    let id = global::devices()?.reserve(cmd.id)?;
    let desc = match early {
        Some(desc) => desc,
        None => describe(&cmd, id.id())?,
    };
    let geo = geometry(&desc.opts).map_err(parse_error)?;
    let mut opts = desc.opts;
    if geo.max_open_zones != opts.max_open_zones {
        pr_info!(
            "zloop{}: max_open_zones lowered from {} to max_active_zones {}\n",
            id.id(),
            opts.max_open_zones,
            geo.max_open_zones
        );
    }
    opts.nr_queues = opts.nr_queues.min(kapi::online_cpus());
    let made = Device::create(&opts, geo, id, crate::prealloc_mb(), desc).and_then(|(dev, new)| {
        match Device::add_disk(&dev) {
            Ok(disk) => {
                new.keep();
                Ok((dev, disk))
            }
            Err(e) => {
                // The files go while the device still holds the id.
                drop(new);
                drop(dev);
                Err(e)
            }
        }
    });
    // On failure, dropping what was made releases the id (not under the lock)
    // and removes the zone files the add created.
    let (dev, disk) = made.map_err(|e| {
        // A missing directory or zone file is a configuration error.
        if e == ENOENT {
            EINVAL
        } else {
            e
        }
    })?;
    let refused = global::devices()?.fill(dev, disk, module);
    // Cannot happen (the id is reserved until the device is dropped); if it
    // did, the device is deleted here, outside the lock.
    refused.map_err(|_| EINVAL)
}

/// `remove id=N`: delete a device. Its files stay.
fn remove(id: i32) -> Result {
    let live = global::devices()?.take(id)?;
    let dev = live.dev;
    dev.set_deleting();
    live.disk.remove(|| {
        if dev.discards_write_cache() {
            dev.forget_cache();
        }
        dev.trim_preallocation();
    });
    pr_info!("removed device {}\n", dev.id());
    // The device (and its id) goes when its last user does: here, or when
    // the last opener closes the disk. Then, as in C, the module reference
    // of the device: this write still runs under the open file's.
    drop(dev);
    drop(live.module);
    Ok(())
}

/// Waits until every removed device is gone (module exit): the block layer
/// frees a disk after dropping its opener's module reference, so `rmmod`
/// can start while the last `Device` is still being dropped.
pub(crate) fn wait_until_all_gone() {
    loop {
        match global::devices() {
            Ok(devices) if !devices.slots.is_empty() => drop(devices),
            Ok(mut devices) => {
                devices.slots = KVVec::new();
                return;
            }
            Err(_) => return,
        }
        fsleep(Delta::from_millis(10));
    }
}

/// A live device in the table.
struct Live {
    dev: Arc<Device>,
    disk: GenDisk<Device>,
    /// The module reference of the device (from `add` to `remove`).
    module: ModuleRef,
}

enum SlotState {
    /// Reserved by an `add` in progress.
    Adding,
    Live(Live),
    /// Removed; its `Device` still exists.
    Removing,
}

/// An id in use.
struct Slot {
    id: u32,
    state: SlotState,
}

/// The devices, by increasing id (the C driver's IDR).
pub(crate) struct Devices {
    slots: KVVec<Slot>,
}

/// An id reserved in the table. Dropping it frees the id: the [`Device`]
/// that owns it is gone.
pub(crate) struct Reservation {
    id: u32,
}

impl Reservation {
    /// The reserved id.
    pub(crate) fn id(&self) -> u32 {
        self.id
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if let Ok(mut devices) = global::devices() {
            devices.release(self.id);
        }
    }
}

impl Devices {
    /// No devices.
    pub(crate) const fn new() -> Self {
        Devices {
            slots: KVVec::new(),
        }
    }

    /// Reserves `want`, or the lowest free id: EEXIST if `want` is taken by
    /// a live device or an `add` in progress, EBUSY while the device that
    /// had it is still being removed.
    fn reserve(&mut self, want: Option<u32>) -> Result<Reservation> {
        let (id, pos) = match want {
            Some(id) => match self.slots.binary_search_by_key(&id, |s| s.id) {
                Ok(i) => return Err(taken(&self.slots[i])),
                Err(pos) => (id, pos),
            },
            None => {
                // The first slot whose id is not its index marks the gap.
                let pos = self
                    .slots
                    .iter()
                    .enumerate()
                    .position(|(i, s)| s.id as usize != i)
                    .unwrap_or(self.slots.len());
                (pos as u32, pos)
            }
        };
        if id > i32::MAX as u32 {
            return Err(ENOSPC);
        }
        self.slots.reserve(1, GFP_KERNEL)?;
        self.slots
            .insert_within_capacity(
                pos,
                Slot {
                    id,
                    state: SlotState::Adding,
                },
            )
            .map_err(|_| ENOMEM)?;
        Ok(Reservation { id })
    }

    /// Whether `id` is reserved (live, being added or being removed).
    fn is_taken(&self, id: u32) -> bool {
        self.position(id).is_some()
    }

    fn position(&self, id: u32) -> Option<usize> {
        self.slots.binary_search_by_key(&id, |s| s.id).ok()
    }

    /// Makes the reserved id of `dev` a live device; gives everything back
    /// if the reservation is not there (for the caller to drop unlocked).
    fn fill(
        &mut self,
        dev: Arc<Device>,
        disk: GenDisk<Device>,
        module: ModuleRef,
    ) -> core::result::Result<(), Live> {
        let live = Live { dev, disk, module };
        match self.position(live.dev.id()) {
            Some(i) if matches!(self.slots[i].state, SlotState::Adding) => {
                self.slots[i].state = SlotState::Live(live);
                Ok(())
            }
            _ => Err(live),
        }
    }

    /// Frees `id` (its device is gone); frees the table's memory once it
    /// is empty.
    fn release(&mut self, id: u32) {
        if let Some(i) = self.position(id) {
            let _ = self.slots.remove(i);
        }
        if self.slots.is_empty() {
            self.slots = KVVec::new();
        }
    }

    /// Takes live device `id` out of the table (ENODEV if there is none);
    /// its id stays reserved.
    fn take(&mut self, id: i32) -> Result<Live> {
        let slot = u32::try_from(id)
            .ok()
            .and_then(|id| self.position(id))
            .map(|i| &mut self.slots[i])
            .filter(|s| matches!(s.state, SlotState::Live(_)))
            .ok_or_else(|| {
                pr_err!("no device {}\n", id);
                ENODEV
            })?;
        match core::mem::replace(&mut slot.state, SlotState::Removing) {
            SlotState::Live(live) => Ok(live),
            _ => Err(ENODEV),
        }
    }
}

/// The error of an `add` of an id that is in use (with its log line).
fn taken(slot: &Slot) -> Error {
    if matches!(slot.state, SlotState::Removing) {
        pr_err!(
            "device {} is still being removed (its disk is still open)\n",
            slot.id
        );
        EBUSY
    } else {
        pr_err!("device {} already exists\n", slot.id);
        EEXIST
    }
}
