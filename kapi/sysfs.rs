// SPDX-License-Identifier: GPL-2.0

//! sysfs attributes of a zoned disk: a named group of device attributes
//! (a directory such as `/sys/block/zloop0/zloop/`) whose callbacks get the
//! disk's driver.
//!
//! Linux 7.2 and 7.3 have no Rust abstraction for attributes of a gendisk.
//! This file follows the shapes of `kernel::configfs` (an `Attribute` made
//! by a `const fn` with the attribute's callbacks; a static list of them;
//! `show` writes into the page sysfs hands out, `store` gets the written
//! bytes) with one difference: each attribute carries its callbacks as
//! plain function pointers instead of a trait implemented once per
//! attribute id, so that the driver's list is a table, one line per file.
//!
//! The group is static and is passed to `device_add_disk` by
//! [`GenDisk::add`](super::blk::GenDisk::add): its directory appears with
//! the disk, before the disk's `add` uevent, and goes in `del_gendisk`.
//!
//! # Lifetime of the driver seen by a callback
//!
//! A callback gets the `T` in the disk's `private_data` (a reference the
//! disk holds on its driver until `free_disk`). That is sound because
//! sysfs callbacks run under a kernfs *active reference* of their file:
//! `del_gendisk` calls `device_del` on the disk's device, which removes
//! the group (`device_remove_attrs` -> `device_remove_groups` ->
//! `sysfs_remove_groups` -> `sysfs_remove_group` -> `kernfs_remove_by_name`
//! per file, then `kernfs_remove` of the directory), and `__kernfs_remove`
//! deactivates each file and waits in `kernfs_drain` until every callback
//! running on it has returned; later reads and writes of a file still open
//! fail with ENODEV without calling it (`kernfs_seq_start`,
//! `kernfs_fop_write_iter`). Sources: block/genhd.c `__del_gendisk`,
//! drivers/base/core.c `device_del`, fs/sysfs/group.c, fs/kernfs/dir.c and
//! file.c of Linux 7.2.13 and 7.3.4. `free_disk`, which drops the disk's
//! reference on the driver, runs only from `disk_release`, at the last
//! `put_device` of the disk, which is after `device_del`; if `device_add_disk` fails after creating
//! the group, its own `device_del` removes it the same way before
//! [`GenDisk::add`](super::blk::GenDisk::add) drops that reference. The
//! group itself is static: it outlives every disk (module exit waits until
//! every device is gone).

use core::{marker::PhantomData, mem::offset_of, ptr};
use kernel::{
    bindings, ffi::c_char, fmt, page::PAGE_SIZE, prelude::*, str::as_char_ptr_in_const_context,
    types::Opaque,
};

use super::blk::{driver_of_disk_device, Driver};

/// The page a show callback writes its value to (what a read of the file
/// returns). Writing more than a page holds fails, and the read then fails
/// with EFBIG: a file never shows a cut value.
pub(crate) struct Page<'a> {
    buf: &'a mut [u8],
    len: usize,
    overflow: bool,
}

impl Page<'_> {
    /// Appends `bytes` as they are (e.g. a path that need not be UTF-8).
    pub(crate) fn write_bytes(&mut self, bytes: &[u8]) -> fmt::Result {
        let end = self.len + bytes.len();
        if end > self.buf.len() {
            self.overflow = true;
            return Err(fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }
}

impl fmt::Write for Page<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.write_bytes(s.as_bytes())
    }
}

/// Shows an attribute of driver `T`: writes its value (with the newline)
/// to the page.
pub(crate) type Show<T> = fn(&T, &mut Page<'_>) -> Result;

/// Stores a value written to an attribute of driver `T` (the bytes of the
/// write, a trailing newline included if it had one). An error fails the
/// write with it.
pub(crate) type Store<T> = fn(&T, &[u8]) -> Result;

/// One file of an [`AttributeGroup`]: a `struct device_attribute` and the
/// callbacks of the driver that [`show_attr`] and [`store_attr`] call.
///
/// # Invariants
///
/// `raw` is the first field (`repr(C)`), so a pointer to `raw` is a
/// pointer to the `Attribute`; its `show`/`store` are [`show_attr`] and
/// [`store_attr`] for `T` exactly when `show`/`store` are set.
#[repr(C)]
pub(crate) struct Attribute<T: Driver> {
    raw: Opaque<bindings::device_attribute>,
    show: Option<Show<T>>,
    store: Option<Store<T>>,
}

// SAFETY: the kernel only reads the attribute; the callbacks are plain
// functions, callable from any thread.
unsafe impl<T: Driver> Sync for Attribute<T> {}
// SAFETY: as above.
unsafe impl<T: Driver> Send for Attribute<T> {}

// sysfs reads the `struct attribute` at the start of the device attribute.
const _: () = assert!(offset_of!(bindings::device_attribute, attr) == 0);

impl<T: Driver> Attribute<T> {
    /// A read-only file (mode 0444).
    pub(crate) const fn read_only(name: &'static CStr, show: Show<T>) -> Self {
        Self::new(name, 0o444, Some(show), None)
    }

    /// A file with permissions `mode`: readable ones need `show`, writable
    /// ones `store` (e.g. 0644 with both, 0200 with `store` only). sysfs
    /// refuses modes beyond 0664; a bad combination does not compile when
    /// the attribute is a static.
    pub(crate) const fn new(
        name: &'static CStr,
        mode: u16,
        show: Option<Show<T>>,
        store: Option<Store<T>>,
    ) -> Self {
        assert!(mode & !0o664 == 0, "sysfs attribute mode beyond 0664");
        assert!((mode & 0o444 != 0) == show.is_some(), "readable iff show");
        assert!((mode & 0o222 != 0) == store.is_some(), "writable iff store");
        let mut raw: bindings::device_attribute = pin_init::zeroed();
        raw.attr.name = as_char_ptr_in_const_context(name);
        raw.attr.mode = mode;
        // `show` and `store` share a union with `show_const` and
        // `store_const` (a struct under `CONFIG_CFI`), on 7.2 and 7.3; the
        // driver core calls the plain one when it is set.
        if show.is_some() {
            raw.__bindgen_anon_1.show = Some(show_attr::<T>);
        }
        if store.is_some() {
            raw.__bindgen_anon_2.store = Some(store_attr::<T>);
        }
        Attribute {
            raw: Opaque::new(raw),
            show,
            store,
        }
    }
}

/// A named group of attributes: the directory `<name>` in the sysfs
/// directory of each disk of `T` that is added with it. `N` is the number
/// of attributes plus one (the NULL that ends the kernel's list). Declared
/// with [`attribute_group!`].
///
/// # Invariants
///
/// `attrs` holds the `struct attribute` of each [`Attribute<T>`] of the
/// group, then NULL; `group` is named and points at `attrs`; `groups` holds
/// `group`, then NULL. All of them are static.
pub(crate) struct AttributeGroup<T: Driver, const N: usize> {
    attrs: Opaque<[*mut bindings::attribute; N]>,
    group: Opaque<bindings::attribute_group>,
    groups: Opaque<[*const bindings::attribute_group; 2]>,
    _driver: PhantomData<T>,
}

// SAFETY: the kernel only reads the group; see `Attribute`.
unsafe impl<T: Driver, const N: usize> Sync for AttributeGroup<T, N> {}
// SAFETY: as above.
unsafe impl<T: Driver, const N: usize> Send for AttributeGroup<T, N> {}

impl<T: Driver, const N: usize> AttributeGroup<T, N> {
    /// The group `this` (the static being initialised: the group points
    /// into itself) named `name`, of the attributes `attrs`.
    pub(crate) const fn new<const M: usize>(
        this: &'static Self,
        name: &'static CStr,
        attrs: &'static [Attribute<T>; M],
    ) -> Self {
        const { assert!(M + 1 == N, "N is the number of attributes plus one") };
        let mut list = [ptr::null_mut(); N];
        let mut i = 0;
        while i < M {
            // By the invariant of `Attribute`, `raw` starts with the
            // `struct attribute`.
            list[i] = ptr::from_ref(&attrs[i].raw)
                .cast::<bindings::attribute>()
                .cast_mut();
            i += 1;
        }
        let mut group: bindings::attribute_group = pin_init::zeroed();
        group.name = as_char_ptr_in_const_context(name);
        // `attrs` shares a union with `attrs_const` (7.2 and 7.3).
        group.__bindgen_anon_2.attrs = ptr::from_ref(&this.attrs)
            .cast::<*mut bindings::attribute>()
            .cast_mut();
        AttributeGroup {
            attrs: Opaque::new(list),
            group: Opaque::new(group),
            groups: Opaque::new([
                ptr::from_ref(&this.group).cast::<bindings::attribute_group>(),
                ptr::null(),
            ]),
            _driver: PhantomData,
        }
    }

    /// The NULL-terminated list of groups for `device_add_disk`.
    pub(super) fn as_groups(&'static self) -> *mut *const bindings::attribute_group {
        self.groups.get().cast()
    }
}

/// Declares a static [`AttributeGroup`] of driver `T`: the directory
/// `name` with one file per [`Attribute`] listed (adding a file is one
/// more line).
///
/// ```ignore
/// attribute_group!(pub(crate) static VIEW: AttributeGroup<Device> = c"zloop", [
///     Attribute::read_only(c"id", |d, p| Ok(writeln!(p, "{}", d.id())?)),
/// ]);
/// ```
macro_rules! attribute_group {
    ($vis:vis static $group:ident: AttributeGroup<$t:ty> = $name:expr, [$($attr:expr),+ $(,)?]) => {
        $vis static $group: $crate::kapi::sysfs::AttributeGroup<
            $t,
            { [$(stringify!($attr)),+].len() + 1 },
        > = {
            static ATTRS: [$crate::kapi::sysfs::Attribute<$t>; [$(stringify!($attr)),+].len()] =
                [$($attr),+];
            $crate::kapi::sysfs::AttributeGroup::new(&$group, $name, &ATTRS)
        };
    };
}
pub(crate) use attribute_group;

/// The [`Attribute`] of `attr`.
///
/// # Safety
///
/// `attr` is the `device_attribute` of an [`Attribute<T>`]: sysfs passes
/// the attribute whose `show`/`store` it calls, and only those of an
/// `Attribute<T>` are [`show_attr`]/[`store_attr`] for `T`.
unsafe fn attribute_of<'a, T: Driver>(attr: *mut bindings::device_attribute) -> &'a Attribute<T> {
    // SAFETY: per the contract; `raw` is the first field of the
    // `repr(C)` `Attribute<T>`, a static.
    unsafe { &*attr.cast::<Attribute<T>>() }
}

/// `show` of every [`Attribute<T>`]: the driver writes the value to the
/// page; returns its length or a negative errno.
///
/// # Safety
///
/// Called by sysfs only, on the device of a disk of `T` added with a group
/// of `attr`, with `buf` a zeroed page.
unsafe extern "C" fn show_attr<T: Driver>(
    dev: *mut bindings::device,
    attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: per the contract.
    let attr = unsafe { attribute_of::<T>(attr) };
    // SAFETY: the disk's driver is valid during a sysfs callback of the
    // disk's device (see "Lifetime" at the top).
    let drv = unsafe { driver_of_disk_device::<T>(dev) };
    // SAFETY: sysfs passes a page that only this call uses. One byte less:
    // sysfs takes a full page for an overflow.
    let buf = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), PAGE_SIZE - 1) };
    let mut page = Page {
        buf,
        len: 0,
        overflow: false,
    };
    let Some(show) = attr.show else {
        return EIO.to_errno() as isize;
    };
    match show(drv, &mut page) {
        _ if page.overflow => EFBIG.to_errno() as isize,
        Ok(()) => page.len as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// `store` of every writable [`Attribute<T>`]: the driver takes the bytes
/// written; returns their number or a negative errno.
///
/// # Safety
///
/// Called by sysfs only, on the device of a disk of `T` added with a group
/// of `attr`, with `count` bytes at `buf`.
unsafe extern "C" fn store_attr<T: Driver>(
    dev: *mut bindings::device,
    attr: *mut bindings::device_attribute,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: per the contract.
    let attr = unsafe { attribute_of::<T>(attr) };
    // SAFETY: as in `show_attr`.
    let drv = unsafe { driver_of_disk_device::<T>(dev) };
    // SAFETY: sysfs passes `count` readable bytes, valid during the call.
    let bytes = unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), count) };
    let Some(store) = attr.store else {
        return EIO.to_errno() as isize;
    };
    match store(drv, bytes) {
        Ok(()) => count as isize,
        Err(e) => e.to_errno() as isize,
    }
}
