//! The gate between the workers and the writer: workers take files in the writing order and
//! run at most a few files ahead, so the results waiting for their turn stay few.

use super::*;

/// Hands files out to the workers in writing order, at most `window` ahead of the next one to
/// write, so results wait for their turn in bounded number.
pub(super) struct Gate {
    state: Mutex<GateState>,
    turn: Condvar,
    window: usize,
    total: usize,
}

struct GateState {
    next: usize,
    written: usize,
    closed: bool,
}

impl Gate {
    pub(super) fn new(total: usize, window: usize) -> Gate {
        Gate {
            state: Mutex::new(GateState {
                next: 0,
                written: 0,
                closed: false,
            }),
            turn: Condvar::new(),
            window: window.max(1),
            total,
        }
    }

    /// The next file to read, when the writer is close enough; `None` when there is none left or
    /// the pass stopped.
    pub(super) fn take(&self) -> Option<usize> {
        let mut state = self.state.lock().ok()?;
        loop {
            if state.closed || state.next >= self.total {
                return None;
            }
            if state.next < state.written + self.window {
                state.next += 1;
                return Some(state.next - 1);
            }
            state = self.turn.wait(state).ok()?;
        }
    }

    /// `n` files are written.
    pub(super) fn written(&self, n: usize) {
        if let Ok(mut state) = self.state.lock() {
            state.written = n;
        }
        self.turn.notify_all();
    }

    /// No more files are handed out.
    pub(super) fn close(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.closed = true;
        }
        self.turn.notify_all();
    }
}

/// Closes the gate when dropped by a panicking thread.
pub(super) struct CloseOnPanic<'a>(pub(super) &'a Gate);

impl Drop for CloseOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Gate;

    #[test]
    pub(super) fn the_gate_hands_files_out_in_order_never_too_far_ahead_of_the_writer() {
        let gate = Gate::new(5, 2);
        assert_eq!((gate.take(), gate.take()), (Some(0), Some(1)));
        std::thread::scope(|s| {
            // A third file would be two ahead of the writer: it waits until one is written.
            let waiting = s.spawn(|| gate.take());
            std::thread::sleep(std::time::Duration::from_millis(50));
            assert!(!waiting.is_finished());
            gate.written(1);
            assert_eq!(waiting.join().ok().flatten(), Some(2));
        });
        std::thread::scope(|s| {
            // A writer that stops releases the workers waiting for their turn.
            let waiting = s.spawn(|| gate.take());
            gate.close();
            assert_eq!(waiting.join().ok().flatten(), None);
        });
        assert_eq!(gate.take(), None);
    }
}
