/// RFC 3339 UTC timestamps with microseconds, the `time` field of an event.
///
/// Written by hand (civil-from-days) so that formatting is exact, locale-free and cheap.
public enum Timestamp {
    /// The earliest and latest years accepted: every instant of them (with any UTC offset) fits in `Int64`
    /// nanoseconds since the epoch (1677-09-21 ... 2262-04-11).
    public static let years: ClosedRange<Int64> = 1678...2261

    private static let tenPowers: [Int64] = [1, 10, 100, 1000, 10000, 100000, 1000000]

    /// `YYYY-MM-DDThh:mm:ss.uuuuuuZ` for nanoseconds since the Unix epoch (truncated to µs). Total over `Int64`.
    public static func rfc3339(wallNanos: Int64) -> String {
        let micros = floorDiv(wallNanos, 1000)
        var seconds = floorDiv(micros, 1_000_000)
        let fraction = micros - seconds * 1_000_000
        var days = floorDiv(seconds, 86400)
        seconds -= days * 86400
        let (y, m, d) = civil(days: &days)
        // Written into bytes (one allocation for the string): fields are zero-padded to their width, a wider
        // value (a year past 9999, or a negative one) is written whole, as `String(v)` would.
        var out: [UInt8] = []
        out.reserveCapacity(27)
        func pad(_ v: Int64, _ w: Int) {
            if v < 0 || v >= tenPowers[w] {
                let s = String(v).utf8
                out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: max(0, w - s.count)))
                out.append(contentsOf: s)
                return
            }
            var div = tenPowers[w - 1]
            while div > 0 {
                out.append(UInt8(truncatingIfNeeded: v / div % 10) &+ 48)
                div /= 10
            }
        }
        pad(y, 4)
        out.append(UInt8(ascii: "-"))
        pad(m, 2)
        out.append(UInt8(ascii: "-"))
        pad(d, 2)
        out.append(UInt8(ascii: "T"))
        pad(seconds / 3600, 2)
        out.append(UInt8(ascii: ":"))
        pad(seconds / 60 % 60, 2)
        out.append(UInt8(ascii: ":"))
        pad(seconds % 60, 2)
        out.append(UInt8(ascii: "."))
        pad(fraction, 6)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// ⌊a / b⌋ for b > 0, without the overflow of `(a - b + 1) / b` near `Int64.min`.
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let (q, r) = a.quotientAndRemainder(dividingBy: b)
        return r < 0 ? q - 1 : q
    }

    /// Nanoseconds since the epoch for an RFC 3339 timestamp (`Z` or `±hh:mm`, any fraction), or nil.
    public static func nanos(rfc3339 text: String) -> Int64? { try? parse(rfc3339: text) }

    /// Nanoseconds since the epoch for an RFC 3339 timestamp (`Z` or `±hh:mm`, any fraction).
    ///
    /// - Throws: `TimestampError` naming what is wrong: the form, an impossible date (February 31), or a
    ///   year outside `years`. Never traps, whatever the text.
    public static func parse(rfc3339 text: String) throws(TimestampError) -> Int64 {
        let u = Array(text.utf8)
        guard u.count >= 20, u[4] == 45, u[7] == 45, u[10] == 84 || u[10] == 116 || u[10] == 32, u[13] == 58,
            u[16] == 58
        else { throw .notRFC3339 }
        func num(_ a: Int, _ b: Int) -> Int64? {
            var v: Int64 = 0
            for k in a..<b {
                guard (48...57).contains(u[k]) else { return nil }
                v = v * 10 + Int64(u[k] - 48)
            }
            return v
        }
        guard let y = num(0, 4), let mo = num(5, 7), let d = num(8, 10), let h = num(11, 13), let mi = num(14, 16),
            let s = num(17, 19)
        else { throw .notRFC3339 }
        guard (1...12).contains(mo), d >= 1, d <= daysIn(month: mo, year: y), h < 24, mi < 60, s < 61 else {
            throw .impossibleDate(String(decoding: u[0..<19], as: UTF8.self))
        }
        guard years.contains(y) else { throw .yearOutOfRange(y) }
        var k = 19
        var fracNanos: Int64 = 0
        if k < u.count, u[k] == 46 {
            k += 1
            var scale: Int64 = 100_000_000
            let start = k
            while k < u.count, (48...57).contains(u[k]) {
                fracNanos += Int64(u[k] - 48) * scale
                scale /= 10
                k += 1
            }
            guard k > start else { throw .notRFC3339 }
        }
        guard k < u.count else { throw .notRFC3339 }
        var offset: Int64 = 0
        if u[k] == 90 || u[k] == 122 {
            k += 1
        } else if u[k] == 43 || u[k] == 45, k + 6 == u.count, u[k + 3] == 58, let oh = num(k + 1, k + 3),
            let om = num(k + 4, k + 6)
        {
            guard oh < 24, om < 60 else { throw .notRFC3339 }
            offset = (oh * 3600 + om * 60) * (u[k] == 43 ? 1 : -1)
            k += 6
        } else {
            throw .notRFC3339
        }
        guard k == u.count else { throw .notRFC3339 }
        // The year range keeps this in Int64; the checked steps keep it so should the range ever widen.
        let days = daysFromCivil(y, mo, d)
        let (daySeconds, o1) = days.multipliedReportingOverflow(by: 86400)
        let (local, o2) = daySeconds.addingReportingOverflow(h * 3600 + mi * 60 + s - offset)
        let (whole, o3) = local.multipliedReportingOverflow(by: 1_000_000_000)
        let (total, o4) = whole.addingReportingOverflow(fracNanos)
        guard !(o1 || o2 || o3 || o4) else { throw .yearOutOfRange(y) }
        return total
    }

    /// Days in a month of the proleptic Gregorian calendar.
    static func daysIn(month m: Int64, year y: Int64) -> Int64 {
        switch m {
        case 2: (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Howard Hinnant's days_from_civil.
    static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// Howard Hinnant's civil_from_days.
    static func civil(days: inout Int64) -> (Int64, Int64, Int64) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

/// Why a text is not an accepted event time.
public enum TimestampError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not of the form `YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)`.
    case notRFC3339
    /// A date or time that does not exist (February 31, 25:00), as written.
    case impossibleDate(String)
    /// A year outside `Timestamp.years`.
    case yearOutOfRange(Int64)

    public var description: String {
        switch self {
        case .notRFC3339: "not an RFC 3339 time (YYYY-MM-DDThh:mm:ss[.fraction]Z or ±hh:mm)"
        case .impossibleDate(let t): "\(t) is not a date and time that exists"
        case .yearOutOfRange(let y):
            "year \(y) is outside \(Timestamp.years.lowerBound)…\(Timestamp.years.upperBound)"
        }
    }
}
