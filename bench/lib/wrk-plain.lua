-- wrk script: plain GETs with a JSON summary (the hello-world baseline, measured with the same tool).
function done(summary, latency, requests)
  io.write(string.format('{"requests":%d,"errors":%d,"seconds":%f,"p50":%f,"p99":%f}\n', summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
