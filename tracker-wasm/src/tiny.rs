//! What std would bring, made small for the distributed tracker: a size-class free-list
//! allocator over wasm memory, and a panic handler that stops without formatting anything.
//! (A panic is a bug: the tracker's calls are all fallible-by-design and never panic on input.)
#![allow(unsafe_code)]

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;

/// Blocks are 16 bytes to 64 KiB in powers of two; larger ones come straight from new pages.
const CLASSES: usize = 13;
const MIN_SHIFT: usize = 4;
const PAGE: usize = 65_536;

struct Tiny {
    state: UnsafeCell<State>,
}

struct State {
    free: [usize; CLASSES],
    next: usize,
    end: usize,
}

// The browser runs the tracker on one thread.
unsafe impl Sync for Tiny {}

#[global_allocator]
static ALLOC: Tiny = Tiny { state: UnsafeCell::new(State { free: [0; CLASSES], next: 0, end: 0 }) };

fn class_of(layout: &Layout) -> Option<usize> {
    let size = layout.size().max(layout.align()).max(1 << MIN_SHIFT);
    let class = (usize::BITS - (size - 1).leading_zeros()) as usize - MIN_SHIFT;
    (class < CLASSES).then_some(class)
}

impl State {
    /// `bytes` from the bump region (aligned to `align`), growing memory as needed.
    unsafe fn bump(&mut self, bytes: usize, align: usize) -> *mut u8 {
        // wasm32 addresses are 32 bits: a request that cannot fit fails instead of wrapping.
        let (Some(start), Some(padded)) = (self.next.checked_add(align - 1).map(|n| n & !(align - 1)), bytes.checked_add(align)) else {
            return core::ptr::null_mut();
        };
        if start.checked_add(bytes).is_none_or(|e| e > self.end) {
            let pages = padded.div_ceil(PAGE).max(1);
            let grown = core::arch::wasm32::memory_grow(0, pages);
            if grown == usize::MAX {
                return core::ptr::null_mut();
            }
            let base = grown * PAGE;
            if base != self.end {
                self.next = base;
            }
            self.end = base + pages * PAGE;
            return unsafe { self.bump(bytes, align) };
        }
        self.next = start + bytes;
        start as *mut u8
    }
}

impl State {
    /// The free list of a size class (`class_of` only returns classes below `CLASSES`).
    fn head(&mut self, class: usize) -> &mut usize {
        let slot = self.free.get_mut(class);
        // SAFETY: class_of checked the bound; saying so spares a panicking bounds check.
        unsafe { core::hint::assert_unchecked(slot.is_some()) };
        slot.unwrap_or_else(|| unreachable_stop())
    }
}

fn unreachable_stop() -> ! {
    core::arch::wasm32::unreachable()
}

unsafe impl GlobalAlloc for Tiny {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let st = unsafe { &mut *self.state.get() };
        let p = match class_of(&layout) {
            Some(c) => {
                let head = *st.head(c);
                if head != 0 {
                    *st.head(c) = unsafe { *(head as *const usize) };
                    return head as *mut u8;
                }
                let size = 1 << (c + MIN_SHIFT);
                unsafe { st.bump(size, size.min(PAGE)) }
            }
            None => unsafe { st.bump(layout.size(), layout.align().max(16)) },
        };
        // Out of memory stops the tracker here rather than returning null: then no caller
        // carries Rust's out-of-memory report, which would bring the formatting machinery.
        if p.is_null() {
            unreachable_stop();
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Blocks beyond the largest class are not reused (the tracker never makes them).
        if let Some(c) = class_of(&layout) {
            let st = unsafe { &mut *self.state.get() };
            unsafe { *(ptr as *mut usize) = *st.head(c) };
            *st.head(c) = ptr as usize;
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    unreachable_stop()
}
