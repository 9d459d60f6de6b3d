// SPDX-License-Identifier: GPL-2.0

//! `/dev/zloop-control`: the misc device that takes `add` and `remove`
//! commands, and the table of devices they create.

use kernel::{
    fs::{File, Kiocb},
    iov::{IovIterDest, IovIterSource},
    miscdevice::{MiscDevice, MiscDeviceOptions, MiscDeviceRegistration},
    page::PAGE_SIZE,
    prelude::*,
    sync::Arc,
};

use crate::{
    device::Device,
    kapi::{self, blk::GenDisk, global, module::ModuleRef},
    options::{geometry, parse_command, AddOptions, Command, Errno, ParseError, CONTROL_TEXT},
};

/// Registers the control device (dynamic minor, mode 0600 like the C driver).
pub(crate) fn register() -> impl PinInit<MiscDeviceRegistration<ControlFile>, Error> {
    global::init();
    MiscDeviceRegistration::register(MiscDeviceOptions {
        name: c"zloop-control",
    })
}

/// An open control file. Every write is one whole command, so the only state is
/// the module reference that keeps `rmmod` away while the file is open.
pub(crate) struct ControlFile {
    _module: ModuleRef,
}

#[vtable]
impl MiscDevice for ControlFile {
    type Ptr = KBox<Self>;

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<KBox<Self>> {
        let module = ModuleRef::try_get()?;
        Ok(KBox::new(ControlFile { _module: module }, GFP_KERNEL)?)
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

/// `add`: create (or restore) a device.
fn add(mut opts: AddOptions<'_>) -> Result {
    let geo = geometry(&opts).map_err(parse_error)?;
    opts.nr_queues = opts.nr_queues.min(kapi::online_cpus());
    let id = global::devices()?.reserve(opts.id)?;
    let made = Device::create(&opts, geo, id, crate::prealloc_mb()).and_then(|dev| {
        let disk = Device::add_disk(&dev)?;
        Ok((dev, disk))
    });
    let mut devices = global::devices()?;
    match made {
        Ok((dev, disk)) => {
            devices.fill(id, dev, disk);
            Ok(())
        }
        Err(e) => {
            devices.release(id);
            // A missing directory or zone file is a configuration error.
            Err(if e == ENOENT { EINVAL } else { e })
        }
    }
}

/// `remove id=N`: delete a device. Its files stay.
fn remove(id: i32) -> Result {
    let (dev, disk) = global::devices()?.take(id)?;
    dev.set_deleting();
    disk.remove(|| {
        if dev.discards_write_cache() {
            dev.forget_cache();
        }
        dev.trim_preallocation();
    });
    pr_info!("removed device {}\n", dev.id());
    Ok(())
}

/// A device, or an id reserved by an `add` in progress.
struct Slot {
    id: u32,
    live: Option<(Arc<Device>, GenDisk<Device>)>,
}

/// The devices, by increasing id (the C driver's IDR).
pub(crate) struct Devices {
    slots: KVVec<Slot>,
}

impl Devices {
    /// No devices.
    pub(crate) const fn new() -> Self {
        Devices {
            slots: KVVec::new(),
        }
    }

    /// Reserves `want`, or the lowest free id: EEXIST if `want` is taken.
    fn reserve(&mut self, want: Option<u32>) -> Result<u32> {
        let (id, pos) = match want {
            Some(id) => match self.slots.binary_search_by_key(&id, |s| s.id) {
                Ok(_) => {
                    pr_err!("device {} already exists\n", id);
                    return Err(EEXIST);
                }
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
            .insert_within_capacity(pos, Slot { id, live: None })
            .map_err(|_| ENOMEM)?;
        Ok(id)
    }

    fn position(&self, id: u32) -> Option<usize> {
        self.slots.binary_search_by_key(&id, |s| s.id).ok()
    }

    /// Makes reserved `id` a live device.
    fn fill(&mut self, id: u32, dev: Arc<Device>, disk: GenDisk<Device>) {
        if let Some(i) = self.position(id) {
            self.slots[i].live = Some((dev, disk));
        }
    }

    /// Drops the reservation of `id` after a failed `add`.
    fn release(&mut self, id: u32) {
        if let Some(i) = self.position(id) {
            let _ = self.slots.remove(i);
        }
    }

    /// Takes live device `id` out of the table (ENODEV if there is none).
    fn take(&mut self, id: i32) -> Result<(Arc<Device>, GenDisk<Device>)> {
        let i = u32::try_from(id)
            .ok()
            .and_then(|id| self.position(id))
            .filter(|&i| self.slots[i].live.is_some())
            .ok_or_else(|| {
                pr_err!("no device {}\n", id);
                ENODEV
            })?;
        let slot = self.slots.remove(i).map_err(|_| ENODEV)?;
        slot.live.ok_or(ENODEV)
    }
}
