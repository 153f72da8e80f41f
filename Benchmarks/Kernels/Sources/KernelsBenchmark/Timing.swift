import Glibc

/// Thread CPU time in nanoseconds (robust on a shared box).
func threadCPUNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Best thread-CPU time of `repetitions` runs of `body` after one warm-up, in nanoseconds.
func bestTime(repetitions: Int, _ body: (Int) -> Void) -> UInt64 {
    body(-1)
    var best = UInt64.max
    for r in 0..<repetitions {
        let t0 = threadCPUNanos()
        body(r)
        best = min(best, threadCPUNanos() - t0)
    }
    return best
}

/// Runs a shell command and returns its standard output, or nil when it fails.
func commandOutput(_ command: String) -> String? {
    guard let pipe = popen(command, "r") else { return nil }
    var output = ""
    while true {
        let byte = fgetc(pipe)
        if byte == EOF { break }
        output.append(Character(Unicode.Scalar(UInt8(byte))))
    }
    return pclose(pipe) == 0 ? output : nil
}

func fmt(_ value: Double, _ decimals: Int = 2) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    return "\(rounded)"
}

/// Left-justifies `text` in a column of `width` characters.
func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}
