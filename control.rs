// SPDX-License-Identifier: GPL-2.0

//! `/dev/zloop-control`: the misc device that takes `add` and `remove` commands.

use kernel::{
    bindings,
    fs::{File, Kiocb},
    iov::{IovIterDest, IovIterSource},
    miscdevice::{MiscDevice, MiscDeviceOptions, MiscDeviceRegistration},
    page::PAGE_SIZE,
    prelude::*,
};

use crate::{
    kapi::module::ModuleRef,
    options::{geometry, parse_command, Command, Errno, CONTROL_TEXT},
};

/// Registers the control device (dynamic minor, mode 0600 like the C driver).
pub(crate) fn register() -> impl PinInit<MiscDeviceRegistration<ControlFile>, Error> {
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
        match parse_command(&buf, PAGE_SIZE) {
            Err(e) => {
                pr_err!("{}\n", e.msg);
                Err(match e.errno {
                    Errno::Inval => EINVAL,
                    Errno::NoMem => ENOMEM,
                })
            }
            Ok(Command::Add(opts)) => {
                geometry(&opts).map_err(|e| {
                    pr_err!("{}\n", e.msg);
                    EINVAL
                })?;
                // Devices arrive with the driver; until then valid commands are refused.
                Err(Error::from_errno(-(bindings::EOPNOTSUPP as i32)))
            }
            Ok(Command::Remove { .. }) => Err(Error::from_errno(-(bindings::EOPNOTSUPP as i32))),
        }
    }
}
