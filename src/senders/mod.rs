//! What feeds a game into a listener from inside the program: the simulated game (`simulate`, the window's demo,
//! the tests' and benchmarks' load) and the replay of a recording, each on its own thread ([`Background`]), speaking
//! TCP as the widget does ([`sender::Link`]). Below `ui` and `tools`: the window starts them without any command's
//! code.

pub mod replay;
pub mod sender;
pub mod simulate;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

/// How fast a sender plays game time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    Factor(f64),
    Max,
}

impl std::str::FromStr for Speed {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("max") {
            return Ok(Speed::Max);
        }
        match s.parse::<f64>() {
            Ok(x) if x.is_finite() && x > 0.0 => Ok(Speed::Factor(x)),
            _ => Err(format!(
                "speed must be a positive number or `max`, not `{s}`"
            )),
        }
    }
}

/// A sender (`simulate`, `replay`) running on its own thread; stopping or dropping the handle ends it.
pub struct Background<T: Send + 'static> {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<anyhow::Result<T>>>,
}

impl<T: Send + 'static> Background<T> {
    pub fn spawn(
        name: &str,
        work: impl FnOnce(&AtomicBool) -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<Background<T>> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || work(&flag))?;
        Ok(Background {
            stop,
            thread: Some(thread),
        })
    }

    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Stops the work and returns its result.
    pub fn stop(mut self) -> anyhow::Result<T> {
        self.stop.store(true, Ordering::Relaxed);
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(r)) => r,
            _ => anyhow::bail!("the background thread panicked"),
        }
    }
}

impl<T: Send + 'static> Drop for Background<T> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
