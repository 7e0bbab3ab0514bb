//! `[[traffic]]` aimed at an online endpoint: its arrivals (Poisson, MMPP or a request trace)
//! and its service-time model (in `service`).

use super::super::raw::{RawArrivals, RawRequestArrivals, RawScenario, RawTraffic};
use super::arrivals::{mmpp_arrivals, poisson_arrivals, poisson_keys};
use super::batch::is_batch;
use super::endpoint::EndpointFacts;
use super::replay::{
    ReplayOptions, load_trace, repeat_flag, replay_options, replay_period, trace_file,
};
use super::service::service;
use super::{Checker, declared_hint, label};
use crate::engine::time::from_secs_f64;
use crate::workload::MmppArrivals;
use crate::workload::requests::{PoissonRequests, RequestArrivals, RequestTrace, TrafficSpec};
use crate::workload::trace::TraceSpec;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use toml::Spanned;

/// The token model's input and output column names.
type TokenColumns<'a> = (&'a Option<Spanned<String>>, &'a Option<Spanned<String>>);

/// Every `[[traffic]]` aimed at an online endpoint (`known`), in file order; those aimed at a
/// batch endpoint (`batch`) are left to `batch::build`. Warns of online endpoints no traffic is
/// aimed at.
pub(super) fn streams(
    c: &mut Checker,
    raw: &RawScenario,
    known: &HashMap<String, EndpointFacts>,
    batch: &HashSet<String>,
    dir: &Path,
) -> Vec<TrafficSpec> {
    let mut traffic = vec![];
    let mut names = HashSet::new();
    let mut served: HashSet<String> = HashSet::new();
    for (i, rt) in raw.traffic.iter().enumerate() {
        let rt = rt.get_ref();
        let lab = label("traffic", i, rt.name.get_ref());
        if !names.insert(rt.name.get_ref().clone()) {
            c.error(
                rt.name.span().start,
                &format!("{lab}.name"),
                format!("`{}` is used by another traffic stream", rt.name.get_ref()),
            );
        }
        served.insert(rt.endpoint.get_ref().clone());
        if batch.contains(rt.endpoint.get_ref()) {
            continue;
        }
        if let Some(t) = traffic_spec(c, &lab, rt, known, dir) {
            traffic.push(t);
        }
    }
    for re in &raw.endpoint {
        let re = re.get_ref();
        if !served.contains(re.name.get_ref()) && !is_batch(re) {
            c.warn(
                re.name.span().start,
                &format!("endpoint.{}", re.name.get_ref()),
                "no [[traffic]] is aimed at this endpoint: it will only show its cost",
            );
        }
    }
    traffic
}

/// One `[[traffic]]` aimed at an online endpoint: its arrivals and its service model for the
/// endpoint's size; `None` after an error (or when the endpoint had one).
fn traffic_spec(
    c: &mut Checker,
    lab: &str,
    rt: &RawTraffic,
    endpoints: &HashMap<String, EndpointFacts>,
    dir: &Path,
) -> Option<TrafficSpec> {
    let f = |s: &str| format!("{lab}.{s}");
    let name = rt.name.get_ref().trim().to_string();
    if name.is_empty() {
        c.error(rt.name.span().start, &f("name"), "must not be empty");
    }
    let target = endpoints.get(rt.endpoint.get_ref());
    if target.is_none() {
        c.error_hint(
            rt.endpoint.span().start,
            &f("endpoint"),
            format!("no endpoint named `{}`", rt.endpoint.get_ref()),
            declared_hint(
                endpoints.keys(),
                "endpoints",
                "declare it in an [[endpoint]] table",
            ),
        );
    }
    let size = target
        .and_then(|(_, vm, _)| vm.as_ref())
        .map(|v| v.size.clone());
    let mcr = target.and_then(|(_, _, mcr)| *mcr);
    let rra = rt.arrivals.get_ref();
    let at = rt.arrivals.span().start;
    let process = rra.process.get_ref();
    let is_trace = process.eq_ignore_ascii_case("trace");
    let is_mmpp = process.eq_ignore_ascii_case("mmpp");
    let tm = rt.token_model.as_ref();
    let columns = tm.map(|t| (&t.get_ref().input_column, &t.get_ref().output_column));
    let arrivals = if is_mmpp {
        request_mmpp(c, &f("arrivals"), rra, at)
            .map(|m| RequestArrivals::Poisson(PoissonRequests::Mmpp(m)))
    } else {
        let ra = workload_arrivals(c, &f("arrivals"), rra, at, None);
        if is_trace {
            request_trace(c, &f("arrivals"), &ra, at, columns, &f("token_model"), dir)
                .map(|t| RequestArrivals::Trace(Arc::new(t)))
        } else {
            poisson_arrivals(c, &f("arrivals"), &ra, at)
                .map(|p| RequestArrivals::Poisson(PoissonRequests::Profiled(p)))
        }
    };
    if let Some(t) = tm
        && !is_trace
    {
        c.error(
            t.span().start,
            &f("token_model"),
            "needs token counts per request: use arrivals with process = \"trace\" and the token columns",
        );
    }
    let mut latency_profile = vec![];
    let service = service(c, lab, rt, size.as_deref(), mcr, dir, &mut latency_profile);
    Some(TrafficSpec {
        name,
        target: target?.0?,
        arrivals: arrivals?,
        service: service.as_ref()?.0.clone(),
        service_description: service?.1,
        latency_profile,
    })
}

/// A traffic's arrivals as a workload's, for the readers the two share. `mmpp_rates_per_hour`
/// stands in for `rates_per_hour` once [`request_mmpp`] has read the rates in whichever unit
/// they were given.
pub(super) fn workload_arrivals(
    c: &mut Checker,
    label: &str,
    ra: &RawRequestArrivals,
    at: usize,
    mmpp_rates_per_hour: Option<Spanned<Vec<Spanned<f64>>>>,
) -> RawArrivals {
    let f = |s: &str| format!("{label}.{s}");
    if mmpp_rates_per_hour.is_none() {
        // The Poisson reader rejects the workloads' MMPP keys itself; the trace reader does not.
        let trace = ra.process.get_ref().eq_ignore_ascii_case("trace");
        c.refuse(
            at,
            &f,
            &[
                ("rates_per_minute", ra.rates_per_minute.is_some()),
                ("rates_per_second", ra.rates_per_second.is_some()),
                ("rates_per_hour", trace && ra.rates_per_hour.is_some()),
                ("mean_sojourn", trace && ra.mean_sojourn.is_some()),
            ],
            "applies only to process = \"mmpp\"",
        );
    }
    if let Some(b) = &ra.batch_size {
        c.error(
            b.span().start,
            &f("batch_size"),
            "does not apply to traffic: every arrival is one request (one job for a batch endpoint)",
        );
    }
    RawArrivals {
        process: ra.process.clone(),
        rate_per_hour: ra.rate_per_hour.clone(),
        rate_per_minute: ra.rate_per_minute.clone(),
        rate_per_second: ra.rate_per_second.clone(),
        daily_profile: ra.daily_profile.clone(),
        weekly_profile: ra.weekly_profile.clone(),
        rates_per_hour: mmpp_rates_per_hour.or_else(|| ra.rates_per_hour.clone()),
        mean_sojourn: ra.mean_sojourn.clone(),
        batch_size: None,
        file: ra.file.clone(),
        submit_column: ra.submit_column.clone(),
        duration_column: ra.duration_column.clone(),
        nodes_column: ra.nodes_column.clone(),
        gpus_column: ra.gpus_column.clone(),
        time_format: ra.time_format.clone(),
        time_scale: ra.time_scale.clone(),
        start: ra.start.clone(),
        end: ra.end.clone(),
        repeat: ra.repeat.clone(),
        on_bad_row: ra.on_bad_row.clone(),
        // Requests have no status or cluster filters (RawRequestArrivals refuses the keys).
        status_column: None,
        statuses: None,
        cluster_column: None,
        clusters: None,
    }
}

/// `process = "mmpp"` for requests: the two rates in any one of the units Poisson traffic
/// takes, then the workloads' reader for the rest (sojourns, keys that do not apply).
pub(super) fn request_mmpp(
    c: &mut Checker,
    label: &str,
    ra: &RawRequestArrivals,
    at: usize,
) -> Option<MmppArrivals> {
    let f = |s: &str| format!("{label}.{s}");
    let units = [
        (&ra.rates_per_hour, "rates_per_hour", 1.0),
        (&ra.rates_per_minute, "rates_per_minute", 60.0),
        (&ra.rates_per_second, "rates_per_second", 3600.0),
    ];
    let given: Vec<_> = units
        .iter()
        .filter_map(|(v, name, per_hour)| v.as_ref().map(|v| (v, *name, *per_hour)))
        .collect();
    let (rates, name, per_hour) = match given.as_slice() {
        [] => {
            c.error(
                at,
                &f("rates_per_second"),
                "is required for process = \"mmpp\" (or rates_per_minute, rates_per_hour): e.g. rates_per_second = [2, 40], mean_sojourn = [\"6h\", \"30m\"]",
            );
            return None;
        }
        [one] => *one,
        [_, (second, name, _), ..] => {
            c.error(
                second.span().start,
                &f(name),
                "give only one of rates_per_hour, rates_per_minute and rates_per_second",
            );
            return None;
        }
    };
    let len = rates.get_ref().len();
    if len != 2 {
        c.error(
            rates.span().start,
            &f(name),
            format!("needs 2 values, one per state (quiet, burst); got {len}"),
        );
        return None;
    }
    let mut hourly = vec![];
    for (i, v) in rates.get_ref().iter().enumerate() {
        let x = c.non_negative(v, &f(&format!("{name}[{i}]")));
        hourly.push(Spanned::new(v.span(), x? * per_hour));
    }
    if hourly.iter().all(|v| *v.get_ref() == 0.0) {
        c.error(
            rates.span().start,
            &f(name),
            "both rates are zero: no request would ever arrive",
        );
        return None;
    }
    let ra = workload_arrivals(c, label, ra, at, Some(Spanned::new(rates.span(), hourly)));
    mmpp_arrivals(c, label, &ra, at)
}

/// `process = "trace"` for requests: timestamps and, for a token model, the token columns.
fn request_trace(
    c: &mut Checker,
    lab: &str,
    ra: &RawArrivals,
    at: usize,
    token_columns: Option<TokenColumns>,
    token_label: &str,
    dir: &Path,
) -> Option<RequestTrace> {
    let f = |s: &str| format!("{lab}.{s}");
    c.refuse(
        at,
        &f,
        &[
            poisson_keys(ra).as_slice(),
            &[
                ("duration_column", ra.duration_column.is_some()),
                ("nodes_column", ra.nodes_column.is_some()),
                ("gpus_column", ra.gpus_column.is_some()),
            ],
        ]
        .concat(),
        "does not apply to a request trace (it gives timestamps; token counts come from token_model's columns)",
    );
    let (file, submit) = trace_file(c, ra, at, &f)?;
    let ReplayOptions {
        time_format,
        time_scale,
        start,
        end,
        on_bad_row,
    } = replay_options(c, ra, at, &f)?;
    let mut extra_columns = vec![];
    if let Some((input, output)) = token_columns {
        match (input, output) {
            (Some(i), Some(o)) => {
                extra_columns.push(i.get_ref().clone());
                extra_columns.push(o.get_ref().clone());
            }
            _ => {
                c.error(
                    at,
                    &format!(
                        "{token_label}.{}",
                        if input.is_none() {
                            "input_column"
                        } else {
                            "output_column"
                        }
                    ),
                    "is required: the trace column of the request's token count",
                );
                return None;
            }
        }
    }
    let spec = TraceSpec {
        file: dir.join(file.get_ref()),
        submit_column: submit.get_ref().clone(),
        duration_column: None,
        nodes_column: None,
        gpus_column: None,
        extra_columns,
        // Token counts follow the bad-row rule like every other field of a row.
        extra_counts: true,
        time_format,
        time_scale,
        start,
        end,
        on_bad_row,
    };
    let tr = load_trace(c, &spec, file.span().start, &f, "request")?;
    let mut tokens = vec![];
    if token_columns.is_some() {
        for row in &tr.rows {
            let ok = |x: f64| x.is_finite() && x >= 0.0 && x <= u32::MAX as f64;
            if row.extra.len() != 2 || !ok(row.extra[0]) || !ok(row.extra[1]) {
                c.error(
                    file.span().start,
                    &f("file"),
                    format!(
                        "{}:{}: token counts must be whole numbers of zero or more",
                        spec.file.display(),
                        row.line
                    ),
                );
                return None;
            }
            tokens.push((row.extra[0].round() as u32, row.extra[1].round() as u32));
        }
    }
    let period = replay_period(&spec, tr.span_s, tr.rows.len());
    let repeat = repeat_flag(c, ra, &f, period)?;
    Some(RequestTrace {
        times: tr.rows.iter().map(|r| from_secs_f64(r.submit_s)).collect(),
        tokens,
        repeat,
        period: from_secs_f64(period),
    })
}
