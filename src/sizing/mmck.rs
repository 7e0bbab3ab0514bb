//! The M/M/c/K queue in closed form: Poisson arrivals at rate λ, `c` servers each serving at
//! rate μ (exponential service), room for `K >= c` requests in the system (in service plus
//! waiting), first come first served. An arrival that finds `K` requests is turned away.
//!
//! A managed online deployment with `n` instances and `max_concurrent_requests_per_instance`
//! `m` is this queue with `c = n x m` and `K = 2c` (Azure ML admits at most
//! `2 x m x n` requests at once and answers the rest with HTTP 429, azure_semantics.md 4a), so
//! the blocking probability is the 429 share and the sojourn time is the request latency.
//!
//! Formulas (Gross and Harris, *Fundamentals of Queueing Theory*, section 2.5): with `a = λ/μ`,
//! `p_n ∝ a^n / n!` for `n <= c` and `a^n / (c! c^(n-c))` for `c < n <= K`. By PASTA an
//! arrival sees the stationary distribution, so the blocking probability is `p_K` and an
//! admitted arrival sees `n` requests with probability `π_n = p_n / (1 - p_K)`. One that sees
//! `n >= c` waits for `n - c + 1` departures, each after an exponential time of rate `cμ`: an
//! Erlang wait. Its sojourn is that wait plus its own exponential service, so the sojourn time
//! is a mixture, over `n`, of Erlang-plus-exponential sums; the percentiles are found by
//! bisection on its survival function.
//!
//! Everything is in consistent but arbitrary time units (seconds in, seconds out).

use statrs::function::gamma::ln_gamma;

/// An M/M/c/K queue's parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mmck {
    /// Arrival rate λ, requests per time unit.
    pub arrival_rate: f64,
    /// Service rate μ of one server, requests per time unit.
    pub service_rate: f64,
    /// Servers `c >= 1`.
    pub servers: u32,
    /// System capacity `K >= c`.
    pub capacity: u32,
}

/// Why an M/M/c/K cannot be evaluated.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum MmckError {
    #[error("the arrival rate must be finite and at least zero, got {0}")]
    ArrivalRate(f64),
    #[error("the service rate must be finite and greater than zero, got {0}")]
    ServiceRate(f64),
    #[error(
        "need at least one server and a capacity of at least the servers, got c = {0}, K = {1}"
    )]
    Shape(u32, u32),
}

/// The stationary distribution and the measures derived from it.
#[derive(Clone, Debug, PartialEq)]
pub struct Solution {
    pub queue: Mmck,
    /// `p_n`, `n = 0..=K`: the share of time with `n` requests in the system.
    pub p: Vec<f64>,
}

impl Mmck {
    pub fn new(
        arrival_rate: f64,
        service_rate: f64,
        servers: u32,
        capacity: u32,
    ) -> Result<Mmck, MmckError> {
        if !(arrival_rate.is_finite() && arrival_rate >= 0.0) {
            return Err(MmckError::ArrivalRate(arrival_rate));
        }
        if !(service_rate.is_finite() && service_rate > 0.0) {
            return Err(MmckError::ServiceRate(service_rate));
        }
        if servers == 0 || capacity < servers {
            return Err(MmckError::Shape(servers, capacity));
        }
        Ok(Mmck {
            arrival_rate,
            service_rate,
            servers,
            capacity,
        })
    }

    /// The stationary distribution, computed in log space so that a large offered load
    /// (`a^n / n!` overflows past `a ≈ 170`) stays finite.
    pub fn solve(&self) -> Solution {
        let a = self.arrival_rate / self.service_rate;
        let c = self.servers as usize;
        let k = self.capacity as usize;
        let p = if a == 0.0 {
            let mut p = vec![0.0; k + 1];
            p[0] = 1.0;
            p
        } else {
            let ln_a = a.ln();
            let mut ln_p = Vec::with_capacity(k + 1);
            let mut acc = 0.0;
            ln_p.push(0.0);
            for n in 1..=k {
                acc += ln_a - (n.min(c) as f64).ln();
                ln_p.push(acc);
            }
            let top = ln_p.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let w: Vec<f64> = ln_p.iter().map(|l| (l - top).exp()).collect();
            let sum: f64 = w.iter().sum();
            w.into_iter().map(|x| x / sum).collect()
        };
        Solution { queue: *self, p }
    }
}

/// `P(Poisson(m) <= j)` for `j = 0..n`, by accumulating the probability mass function in log
/// space (so a large `m` underflows to zero rather than to NaN).
fn poisson_cdfs(m: f64, n: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(n);
    let mut cdf = 0.0;
    for j in 0..n {
        let pmf = if m == 0.0 {
            if j == 0 { 1.0 } else { 0.0 }
        } else {
            (-m + j as f64 * m.ln() - ln_gamma(j as f64 + 1.0)).exp()
        };
        cdf = (cdf + pmf).min(1.0);
        out.push(cdf);
    }
    out
}

impl Solution {
    /// The blocking probability `p_K`: the share of arrivals turned away (HTTP 429).
    pub fn blocking(&self) -> f64 {
        self.p[self.p.len() - 1]
    }

    /// Mean number of requests in the system.
    pub fn mean_in_system(&self) -> f64 {
        self.p.iter().enumerate().map(|(n, p)| n as f64 * p).sum()
    }

    /// Admitted (and, in steady state, served) requests per time unit: `λ (1 - p_K)`.
    pub fn throughput(&self) -> f64 {
        self.queue.arrival_rate * (1.0 - self.blocking())
    }

    /// The share of busy server time: throughput / (c μ).
    pub fn utilization(&self) -> f64 {
        self.throughput() / (self.queue.servers as f64 * self.queue.service_rate)
    }

    /// What an admitted arrival sees: `π_n = p_n / (1 - p_K)`, `n = 0..K-1`.
    fn seen_by_admitted(&self) -> Vec<f64> {
        let admitted = 1.0 - self.blocking();
        let k = self.p.len() - 1;
        if admitted <= 0.0 {
            // Every arrival is turned away (cannot happen for a finite load); say the
            // system is full but for one place, the last state an admitted arrival could see.
            let mut pi = vec![0.0; k];
            pi[k - 1] = 1.0;
            return pi;
        }
        self.p[..k].iter().map(|p| p / admitted).collect()
    }

    /// Mean sojourn (latency) of an admitted request: Little's law, `L / throughput`. With no
    /// arrivals, the service time `1/μ`.
    pub fn mean_sojourn(&self) -> f64 {
        let x = self.throughput();
        if x > 0.0 {
            self.mean_in_system() / x
        } else {
            1.0 / self.queue.service_rate
        }
    }

    /// Mean wait before service of an admitted request.
    pub fn mean_wait(&self) -> f64 {
        (self.mean_sojourn() - 1.0 / self.queue.service_rate).max(0.0)
    }

    /// `P(wait > 0)` for an admitted request: it finds every server busy.
    pub fn wait_probability(&self) -> f64 {
        let c = self.queue.servers as usize;
        self.seen_by_admitted().iter().skip(c).sum()
    }

    /// `P(sojourn > t)` for an admitted request, `t >= 0`.
    ///
    /// An arrival that sees `n >= c` waits an Erlang(`k = n - c + 1`, rate `r = cμ`) time `E`,
    /// then is served for an exponential `S` of rate μ. For `c > 1`,
    /// `P(E + S > t) = P(E > t) + e^(-μt) (r / (r - μ))^k P(Erlang(k, r - μ) <= t)`; for `c = 1`
    /// `E + S` is Erlang(`k + 1`, μ). Erlang survival functions are Poisson distribution
    /// functions: `P(Erlang(k, r) > t) = P(Poisson(rt) <= k - 1)`.
    pub fn sojourn_survival(&self, t: f64) -> f64 {
        if t <= 0.0 {
            return 1.0;
        }
        let mu = self.queue.service_rate;
        let c = self.queue.servers as usize;
        let pi = self.seen_by_admitted();
        let service_tail = (-mu * t).exp();
        let mut total: f64 = pi.iter().take(c).sum::<f64>() * service_tail;
        let phases = pi.len().saturating_sub(c); // k = 1..=phases
        if phases == 0 {
            return total.clamp(0.0, 1.0);
        }
        if c == 1 {
            // E + S is Erlang(k + 1, μ): P(> t) = P(Poisson(μt) <= k).
            let cdf = poisson_cdfs(mu * t, phases + 1);
            for (i, p) in pi.iter().enumerate().skip(c) {
                let k = i - c + 1;
                total += p * cdf[k];
            }
        } else {
            let r = c as f64 * mu;
            let ratio_ln = (r / (r - mu)).ln();
            let wait_tail = poisson_cdfs(r * t, phases);
            let slower = poisson_cdfs((r - mu) * t, phases);
            for (i, p) in pi.iter().enumerate().skip(c) {
                let k = i - c + 1;
                let e_tail = wait_tail[k - 1];
                let f = (1.0 - slower[k - 1]).max(0.0);
                total += p * (e_tail + (-mu * t + k as f64 * ratio_ln).exp() * f);
            }
        }
        total.clamp(0.0, 1.0)
    }

    /// The `q`-quantile (`0 < q < 1`) of an admitted request's sojourn time, by bisection on
    /// [`sojourn_survival`](Self::sojourn_survival) to a relative precision of 1e-9.
    pub fn sojourn_quantile(&self, q: f64) -> f64 {
        let target = 1.0 - q.clamp(1e-12, 1.0 - 1e-12);
        let mut hi = 1.0 / self.queue.service_rate;
        while self.sojourn_survival(hi) > target {
            hi *= 2.0;
            if !hi.is_finite() {
                return f64::INFINITY;
            }
        }
        let mut lo = 0.0;
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if self.sojourn_survival(mid) > target {
                lo = mid;
            } else {
                hi = mid;
            }
            if hi - lo <= 1e-9 * hi {
                break;
            }
        }
        0.5 * (lo + hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} vs {b} (tolerance {tol})");
    }

    /// M/M/1/2 with λ = μ = 1: a = 1, so p = (1, 1, 1)/3. Blocking 1/3; L = (0+1+2)/3 = 1;
    /// throughput 2/3; mean sojourn = 1/(2/3) = 1.5. An admitted arrival sees 0 (prob 1/2:
    /// sojourn Exp(1)) or 1 (prob 1/2: Erlang(2,1)), so P(T > t) = e^-t (1 + t/2).
    #[test]
    fn mm12_by_hand() {
        let s = Mmck::new(1.0, 1.0, 1, 2).unwrap().solve();
        for (p, want) in s.p.iter().zip([1.0 / 3.0; 3]) {
            close(*p, want, 1e-12);
        }
        close(s.blocking(), 1.0 / 3.0, 1e-12);
        close(s.mean_sojourn(), 1.5, 1e-12);
        close(s.mean_wait(), 0.5, 1e-12);
        close(s.wait_probability(), 0.5, 1e-12);
        for t in [0.1, 0.5, 1.0, 2.0, 4.0] {
            close(s.sojourn_survival(t), (-t).exp() * (1.0 + t / 2.0), 1e-12);
        }
        // Solved by hand (Newton on e^-t (1 + t/2) = 0.05): t = 4.1130...
        let p95 = s.sojourn_quantile(0.95);
        close((-p95).exp() * (1.0 + p95 / 2.0), 0.05, 1e-9);
        close(p95, 4.113, 1e-3);
    }

    /// M/M/2/4 with λ = 2, μ = 1: a = 2, unnormalised p = (1, 2, 2, 2, 2), sum 9. Blocking 2/9;
    /// L = (0+2+4+6+8)/9 = 20/9; throughput 2 x 7/9 = 14/9; mean sojourn = 10/7. Admitted arrivals
    /// see 0 or 1 (prob 3/7, no wait), 2 (prob 2/7, one Exp(2) phase), 3 (prob 2/7, two phases), so
    /// P(T > t) = (3/7) e^-t + (2/7)(2e^-t - e^-2t) + (2/7)(4e^-t - (3 + 2t) e^-2t)
    ///          = (15 e^-t - (8 + 4t) e^-2t) / 7.
    #[test]
    fn mm24_by_hand() {
        let s = Mmck::new(2.0, 1.0, 2, 4).unwrap().solve();
        for (p, want) in s.p.iter().zip([1.0, 2.0, 2.0, 2.0, 2.0]) {
            close(*p, want / 9.0, 1e-12);
        }
        close(s.blocking(), 2.0 / 9.0, 1e-12);
        close(s.mean_in_system(), 20.0 / 9.0, 1e-12);
        close(s.mean_sojourn(), 10.0 / 7.0, 1e-12);
        close(s.mean_wait(), 3.0 / 7.0, 1e-12);
        close(s.wait_probability(), 4.0 / 7.0, 1e-12);
        close(s.utilization(), 7.0 / 9.0, 1e-12);
        let want = |t: f64| (15.0 * (-t).exp() - (8.0 + 4.0 * t) * (-2.0 * t).exp()) / 7.0;
        for t in [0.0, 0.25, 1.0, 2.0, 5.0] {
            close(s.sojourn_survival(t), want(t), 1e-12);
        }
        for q in [0.5, 0.95, 0.99] {
            close(want(s.sojourn_quantile(q)), 1.0 - q, 1e-9);
        }
    }

    /// With K = c nobody waits: Erlang's loss formula for the blocking, Exp(μ) sojourn.
    #[test]
    fn loss_system_is_erlang_b() {
        // Erlang B, c = 3, a = 2: (8/6) / (1 + 2 + 2 + 8/6) = (4/3) / (19/3) = 4/19.
        let s = Mmck::new(2.0, 1.0, 3, 3).unwrap().solve();
        close(s.blocking(), 4.0 / 19.0, 1e-12);
        close(s.mean_sojourn(), 1.0, 1e-12);
        close(s.sojourn_quantile(0.95), -(0.05f64.ln()), 1e-8);
    }

    /// The survival function integrates to the mean (Little's law), a check that ties the
    /// tail formula to the stationary distribution for a larger queue.
    #[test]
    fn survival_integrates_to_little_mean() {
        for (lambda, c) in [(30.0, 8u32), (5.0, 12), (100.0, 40)] {
            let s = Mmck::new(lambda, 4.0, c, 2 * c).unwrap().solve();
            // Simpson's rule on [0, 10] (the tail beyond is below e^-30).
            let n = 4000;
            let h = 10.0 / n as f64;
            let mut area = s.sojourn_survival(0.0) + s.sojourn_survival(10.0);
            for i in 1..n {
                let w = if i % 2 == 1 { 4.0 } else { 2.0 };
                area += w * s.sojourn_survival(i as f64 * h);
            }
            close(area * h / 3.0, s.mean_sojourn(), 1e-8);
        }
    }

    #[test]
    fn large_load_stays_finite() {
        // a = 2000 over 1000 servers: a^n / n! overflows without logs.
        let s = Mmck::new(2000.0, 1.0, 1000, 2000).unwrap().solve();
        assert!(s.blocking().is_finite() && s.blocking() > 0.4);
        assert!(s.sojourn_quantile(0.99).is_finite());
    }

    #[test]
    fn bad_parameters_are_errors() {
        assert!(Mmck::new(-1.0, 1.0, 1, 1).is_err());
        assert!(Mmck::new(1.0, 0.0, 1, 1).is_err());
        assert!(Mmck::new(1.0, 1.0, 0, 1).is_err());
        assert!(Mmck::new(1.0, 1.0, 3, 2).is_err());
    }
}
