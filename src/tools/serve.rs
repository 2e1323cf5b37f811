//! `bar-overlay serve`: receiver, model and web pages without a window (a streaming PC, a headless box, the tests).

use crate::cli::ServeArgs;
use crate::model::Hub;
use crate::outputs::relay::{RELAY_QUEUE_BYTES, Relay};
use crate::outputs::web::{WebConfig, WebServer};
use crate::receiver::{Receiver, ReceiverConfig};
use crate::shutdown::stop_signal;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Anything but loopback reaches other machines: only with a token.
pub fn check_bind(bind: IpAddr, token: Option<&str>) -> anyhow::Result<()> {
    if !bind.is_loopback() && token.is_none_or(str::is_empty) {
        anyhow::bail!(
            "refusing to listen on {bind} without a token: other machines could feed or read the overlay. Add \
             --token SECRET (and set the same token in the widget), or use --bind 127.0.0.1"
        );
    }
    Ok(())
}

/// custom.css beside the settings file, where the window's settings live too.
pub fn default_css() -> Option<PathBuf> {
    confy::get_configuration_file_path("bar-overlay", "settings")
        .ok()
        .map(|p| p.with_file_name("custom.css"))
}

pub fn run(args: &ServeArgs) -> anyhow::Result<()> {
    check_bind(args.bind, args.token.as_deref())?;
    let mut cfg = ReceiverConfig::new(SocketAddr::new(args.bind, args.port));
    cfg.keep_raw = args.relay_port.is_some();
    cfg.token = args.token.clone().filter(|t| !t.is_empty());
    let (receiver, events) = Receiver::start(cfg, || {})?;
    let rt = receiver.runtime().clone();
    let hub = Hub::new();
    let relay = args
        .relay_port
        .map(|p| {
            Relay::start(
                SocketAddr::new(Ipv4Addr::LOCALHOST.into(), p),
                RELAY_QUEUE_BYTES,
                &rt,
            )
        })
        .transpose()?;
    // The last finished game's report for /report.
    let last_report = crate::report::live::LastReport::new();
    let mut taps: Vec<Arc<dyn crate::model::LineTap>> = vec![Arc::new(
        crate::report::live::ReportTap::new(last_report.clone()),
    )];
    if let Some(r) = &relay {
        taps.push(Arc::new(r.clone()));
    }
    hub.set_taps(taps);
    hub.set_delay(Duration::from_secs_f64(args.delay));
    let mut names = crate::model::Names::default();
    for (from, to) in &args.rename {
        names.rename_player(from, to);
    }
    for (side, name) in &args.side_name {
        names.name_side(*side, name);
    }
    hub.set_names(names);
    let mut web = WebConfig::new(SocketAddr::new(args.bind, args.web_port));
    web.token = args.token.clone().filter(|t| !t.is_empty());
    web.custom_css = args.css.clone().or_else(default_css);
    web.report = Some(last_report);
    let web = WebServer::start(web, hub.clone(), &rt)?;
    hub.attach(&rt, events, || {});
    // Scripts and tests read the ports from these first lines: keep their form.
    eprintln!("listening on {} (Ctrl-C to stop)", receiver.local_addr());
    eprintln!("web pages on http://{}/", web.addr());
    if let Some(r) = &relay {
        eprintln!("relay on {}", r.addr());
    }
    if args.delay > 0.0 {
        eprintln!(
            "everything served is {} s late{}",
            args.delay,
            if relay.is_some() {
                "; the relay is held while delayed"
            } else {
                ""
            }
        );
    }
    // The receiver's runtime drives the sockets and timers; this thread only waits on it.
    rt.block_on(async {
        let until = async {
            match args.seconds {
                Some(s) => tokio::time::sleep(Duration::from_secs_f64(s.max(0.0))).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = until => {}
            _ = stop_signal() => {}
        }
    });
    drop(web);
    receiver.stop();
    Ok(())
}
