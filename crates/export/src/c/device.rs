//! Does a C export fit a device? Its [`Budget`] against a flash and RAM size, with the
//! code and stack the budget does not count reserved (export stage; `hark info --target`).

use super::Budget;

/// Flash reserved for code: the runtime, libm's `log10f`/`expf`/`sqrtf` and start-up.
/// Measured: 11.0 KiB for an ESC-10 Stride-DS library with a test harness built with
/// `arm-none-eabi-gcc -O2` for Cortex-M4F (`.text` minus the data in the budget).
pub const CODE_RESERVE_BYTES: usize = 16 * 1024;
/// RAM reserved for the stack: the library's measured peak on QEMU's mps2-an386 is under
/// 0.5 KiB (stack painting, `crates/export/tests/c.rs`); the rest is the application's.
pub const STACK_RESERVE_BYTES: usize = 2 * 1024;

/// A device's memory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Device {
    /// Name, e.g. `cortex-m4`.
    pub name: String,
    /// Flash bytes.
    pub flash_bytes: usize,
    /// RAM bytes.
    pub ram_bytes: usize,
}

impl Device {
    /// The seed author's STM32L476 budget: a Cortex-M4F with 512 KiB flash and 64 KiB RAM.
    pub fn cortex_m4() -> Device {
        Device {
            name: "cortex-m4".into(),
            flash_bytes: 512 * 1024,
            ram_bytes: 64 * 1024,
        }
    }
}

/// How a [`Budget`] sits on a [`Device`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Fit {
    /// Flash needed: data + [`CODE_RESERVE_BYTES`].
    pub flash_bytes: usize,
    /// RAM needed: static buffers + [`STACK_RESERVE_BYTES`].
    pub ram_bytes: usize,
    /// Both fit.
    pub fits: bool,
    /// What does not fit, in words (empty when it fits).
    pub problems: Vec<String>,
}

/// Check `budget` against `device`.
pub fn fit(budget: &Budget, device: &Device) -> Fit {
    let flash = budget.flash_bytes() + CODE_RESERVE_BYTES;
    let ram = budget.ram_bytes + STACK_RESERVE_BYTES;
    let kib = |b: usize| b as f64 / 1024.0;
    let mut problems = Vec::new();
    if flash > device.flash_bytes {
        problems.push(format!(
            "flash {:.1} KiB > {:.0} KiB",
            kib(flash),
            kib(device.flash_bytes)
        ));
    }
    if ram > device.ram_bytes {
        problems.push(format!(
            "RAM {:.1} KiB > {:.0} KiB",
            kib(ram),
            kib(device.ram_bytes)
        ));
    }
    Fit {
        flash_bytes: flash,
        ram_bytes: ram,
        fits: problems.is_empty(),
        problems,
    }
}
