// SPDX-License-Identifier: GPL-2.0

//! The description file of a device on disk (`<base_dir>/<id>/zloop_rs.device`,
//! format and merge rules in `description.rs`): read before an `add`, written
//! once the add has set up its zone files. Safe code over `kapi`.
//!
//! The file is written under a temporary name, synced, renamed over the old
//! one and the directory synced, so that it is always either the old or the
//! new text, never a mix (the parser also refuses a truncated file). The C
//! zloop opens only `cnv-NNNNNN` and `seq-NNNNNN` in the directory and never
//! sees it.

use kernel::{fs::File, prelude::*, sync::aref::ARef};

use crate::{
    description::{merge, parse, render, FILE_NAME, MAX_LEN, TEMP_NAME},
    device::{cstr, dir_path, file_path, ShowPath},
    kapi::vfs::{self, flags::*},
    options::AddOptions,
};

/// [`FILE_NAME`] and [`TEMP_NAME`] as C strings (for the rename).
const FILE_C: &CStr = c"zloop_rs.device";
const TEMP_C: &CStr = c"zloop_rs.device.tmp";

const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
const _: () = assert!(same(FILE_C.to_bytes(), FILE_NAME.as_bytes()));
const _: () = assert!(same(TEMP_C.to_bytes(), TEMP_NAME.as_bytes()));

/// The options of an `add` and what its description file must say.
pub(crate) struct Description<'a> {
    /// The options of the command, completed from the description file.
    pub(crate) opts: AddOptions<'a>,
    /// The text the file must hold once the add succeeded.
    text: KVec<u8>,
    /// The text it holds now (`None`: there is no file).
    old: Option<KVec<u8>>,
}

/// Reads the description file of device `id` (if there is one) and merges
/// it with the command options `cmd` (`description::merge`). A file that is
/// not a valid description, or that the command contradicts, fails with
/// EINVAL and one log line naming the file. Without a file (or without the
/// directory) the options are the command's, exactly.
pub(crate) fn describe<'a>(cmd: &AddOptions<'a>, id: u32) -> Result<Description<'a>> {
    let path = file_path(cmd.base_dir, id, FILE_NAME)?;
    let old = read(&path, cmd.base_dir, id)?;
    let opts = match old.as_deref() {
        None => *cmd,
        Some(text) => merged(cmd, id, &path, text)?,
    };
    let mut text = KVec::from_elem(0u8, MAX_LEN, GFP_KERNEL)?;
    let len = render(&opts, &mut text).ok_or(EINVAL)?;
    text.truncate(len);
    Ok(Description { opts, text, old })
}

/// The text of the description file at `path` (in the directory of device
/// `id` under `base`), `None` if there is none. Without a directory that
/// opens, there is none either: the add then fails at the directory, with
/// the error it always had. Reads one byte more than a description may
/// have, so that the parser sees a file too large.
fn read(path: &[u8], base: &[u8], id: u32) -> Result<Option<KVec<u8>>> {
    // O_NONBLOCK: a FIFO in its place must not block the add.
    let file = match vfs::open(cstr(path)?, O_RDONLY | O_NONBLOCK, 0) {
        Ok(file) => file,
        Err(e) if e == ENOENT || e == ENOTDIR || !dir_opens(base, id) => return Ok(None),
        Err(e) => {
            pr_err!("cannot open {} (error {})\n", ShowPath(path), e.to_errno());
            return Err(e);
        }
    };
    let mut text = KVec::from_elem(0u8, MAX_LEN + 1, GFP_KERNEL)?;
    let len = vfs::read_at(&file, &mut text, 0).inspect_err(|e| {
        pr_err!("cannot read {} (error {})\n", ShowPath(path), e.to_errno());
    })?;
    text.truncate(len);
    Ok(Some(text))
}

/// Whether the directory of device `id` under `base` opens.
fn dir_opens(base: &[u8], id: u32) -> bool {
    dir_path(base, id)
        .and_then(|p| vfs::open(cstr(&p)?, O_RDONLY | O_DIRECTORY, 0))
        .is_ok()
}

/// `cmd` completed from the description `text` of the file at `path`.
fn merged<'a>(cmd: &AddOptions<'a>, id: u32, path: &[u8], text: &[u8]) -> Result<AddOptions<'a>> {
    let stored = parse(text).map_err(|e| {
        pr_err!(
            "zloop{}: {}: {}{}{}; delete the file to add the device from the command alone\n",
            id,
            ShowPath(path),
            AtLine(e.line),
            e.msg,
            Quoted(e.text)
        );
        EINVAL
    })?;
    let opts = merge(cmd, &stored).map_err(|c| {
        let name = c.key.name();
        pr_err!(
            "zloop{}: {}={} contradicts {}={} of {}: the geometry of a described device cannot change\n",
            id,
            name,
            c.given,
            name,
            c.stored,
            ShowPath(path)
        );
        EINVAL
    })?;
    pr_info!("zloop{}: described by {}\n", id, ShowPath(path));
    Ok(opts)
}

/// `line N: ` for a line of the file, nothing for the file as a whole (0).
struct AtLine(usize);

impl kernel::fmt::Display for AtLine {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        match self.0 {
            0 => Ok(()),
            n => write!(f, "line {n}: "),
        }
    }
}

/// ` 'text'`, or nothing for no text.
struct Quoted<'a>(&'a [u8]);

impl kernel::fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        if self.0.is_empty() {
            return Ok(());
        }
        f.write_str(" '")?;
        kernel::fmt::Display::fmt(&ShowPath(self.0), f)?;
        f.write_str("'")
    }
}

/// What undoes the change [`store`] made to the description file, when the
/// add fails after it.
#[derive(Default)]
pub(crate) enum Undo {
    /// Nothing changed.
    #[default]
    Nothing,
    /// The add created this file: remove it.
    Remove(ARef<File>),
    /// The add replaced this text: write it back (through `temp`, the path
    /// of [`TEMP_NAME`]).
    Restore { temp: KVec<u8>, old: KVec<u8> },
}

/// Once the zone files of the add of device `id` are set up (in the
/// directory `dir` under `base`): makes the description file say what the
/// add uses, unless it does already. Returns what undoes that if the add
/// fails later.
pub(crate) fn store(dir: &File, base: &[u8], id: u32, desc: Description<'_>) -> Result<Undo> {
    if desc.old.as_deref() == Some(&desc.text[..]) {
        return Ok(Undo::Nothing);
    }
    let temp = file_path(base, id, TEMP_NAME)?;
    let file = write(dir, &temp, &desc.text).inspect_err(|e| {
        pr_err!(
            "zloop{}: cannot write the description file {} (error {})\n",
            id,
            ShowPath(&temp),
            e.to_errno()
        );
    })?;
    let undo = match desc.old {
        None => Undo::Remove(file),
        Some(old) => Undo::Restore { temp, old },
    };
    // The rename is durable once the directory is. (EINVAL: this file
    // system cannot sync a directory; the rename is as durable as it gets.)
    match vfs::fsync(dir, false) {
        Err(e) if e != EINVAL => {
            pr_err!(
                "zloop{}: cannot sync the directory of the description file (error {})\n",
                id,
                e.to_errno()
            );
            undo.undo(dir, id);
            Err(e)
        }
        _ => Ok(undo),
    }
}

impl Undo {
    /// Undoes the change to the description file of device `id` in `dir`
    /// (the add failed); says so if it cannot.
    pub(crate) fn undo(self, dir: &File, id: u32) {
        let r = match &self {
            Undo::Nothing => return,
            Undo::Remove(file) => vfs::unlink(dir, file),
            Undo::Restore { temp, old } => write(dir, temp, old).map(drop),
        };
        if let Err(e) = r {
            pr_err!(
                "zloop{}: add failed; cannot {} its description file (error {})\n",
                id,
                if matches!(self, Undo::Remove(_)) {
                    "remove"
                } else {
                    "restore"
                },
                e.to_errno()
            );
        }
    }
}

/// Writes `text` to the file at `temp` (in `dir`), syncs it and renames it
/// to [`FILE_NAME`]; returns the file, now of that name. On failure the
/// temporary file is removed again and the old description is untouched.
fn write(dir: &File, temp: &[u8], text: &[u8]) -> Result<ARef<File>> {
    let file = vfs::open(
        cstr(temp)?,
        O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW,
        0o644,
    )?;
    let r = vfs::write_all_at(&file, text, 0)
        .and_then(|()| vfs::fsync(&file, false))
        .and_then(|()| vfs::rename(dir, TEMP_C, FILE_C));
    match r {
        Ok(()) => Ok(file),
        Err(e) => {
            let _ = vfs::unlink(dir, &file);
            Err(e)
        }
    }
}
