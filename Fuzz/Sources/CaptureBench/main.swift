import Capture
import Glibc
import SightlineCore

// Parse throughput of the footage readers on a real file, beside a plain memchr pass over the
// same bytes (the ceiling of any scanner that looks at every byte):
//   capture-bench FILE [mjpeg|avi|y4m]
// Build without sanitizers: swift build -c release --package-path Fuzz --product CaptureBench

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: CaptureBench FILE [mjpeg|avi|y4m]")
    exit(2)
}
let path = arguments[1]
let format = arguments.count > 2 ? arguments[2] : "mjpeg"

func readFile(_ path: String) -> [UInt8] {
    let fd = open(path, O_RDONLY)
    precondition(fd >= 0, "cannot open \(path)")
    defer { close(fd) }
    var st = stat()
    fstat(fd, &st)
    return [UInt8](unsafeUninitializedCapacity: Int(st.st_size)) { buf, count in
        var done = 0
        while done < buf.count {
            let n = read(fd, buf.baseAddress! + done, buf.count - done)
            precondition(n > 0, "short read")
            done += n
        }
        count = done
    }
}

struct Timing {
    var wall: UInt64
    var cpu: UInt64
    static func measure(_ body: () throws -> Void) rethrows -> Timing {
        let w0 = Clocks.monotonicNanos(), c0 = Clocks.threadCPUNanos()
        try body()
        return Timing(wall: Clocks.monotonicNanos() - w0, cpu: Clocks.threadCPUNanos() - c0)
    }
}

func report(_ name: String, bytes: Int, frames: Int, _ t: Timing) {
    let mb = Double(bytes) / 1e6
    let line = "\(name): \(frames) frames, \(mb) MB, wall \(Double(t.wall) / 1e6) ms, cpu \(Double(t.cpu) / 1e6) ms"
    let cpuSeconds = Double(t.cpu) / 1e9, wallSeconds = Double(t.wall) / 1e9
    print(line + " -> \(Int(mb / cpuSeconds)) MB/s cpu (\(Int(mb / wallSeconds)) wall), "
          + "\(Int(Double(frames) / cpuSeconds)) frames/s cpu")
}

func parse<P: FootageParser>(_: P.Type, _ data: [UInt8], chunk: Int) throws -> Int {
    var parser = P(maxFrameBytes: 32 << 20)
    var frames = 0
    var offset = 0
    try data.withUnsafeBytes { raw in
        while offset < raw.count {
            let n = min(chunk, raw.count - offset)
            parser.append(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + n)]))
            offset += n
            while try parser.nextFrame() != nil { frames += 1 }
        }
    }
    parser.finish()
    while try parser.nextFrame() != nil { frames += 1 }
    return frames
}

let data = readFile(path)
for round in 0..<3 {
    var hits = 0
    let scan = Timing.measure {
        data.withUnsafeBytes { raw in
            var p = raw.baseAddress!
            let end = raw.baseAddress! + raw.count
            while let hit = memchr(p, 0xFF, end - p) {
                hits += 1
                p = UnsafeRawPointer(hit) + 1
            }
        }
    }
    report("round \(round) memchr 0xFF pass (\(hits) hits)", bytes: data.count, frames: 0, scan)

    var frames = 0
    let parsed = try Timing.measure {
        switch format {
        case "avi": frames = try parse(AVIParser.self, data, chunk: 256 << 10)
        case "y4m": frames = try parse(Y4MParser.self, data, chunk: 256 << 10)
        default: frames = try parse(MJPEGStreamParser.self, data, chunk: 256 << 10)
        }
    }
    report("round \(round) \(format) parser, in memory", bytes: data.count, frames: frames, parsed)

    let source: any FrameSource = try SourceFactory.make("\(format):\(path)",
                                                         options: SourceOptions(pacing: .asFastAsPossible))
    var delivered = 0
    let streamed = try Timing.measure {
        try source.open()
        while try source.next() != nil { delivered += 1 }
        source.close()
    }
    report("round \(round) \(format) source, read(2) from page cache", bytes: data.count, frames: delivered, streamed)
}
