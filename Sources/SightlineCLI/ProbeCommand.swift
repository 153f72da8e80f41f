import ArgumentParser
import Capture
import Foundation
import SightlineCore
import SightlineTools

/// `sightline probe /dev/videoN`: what a camera offers (formats, sizes, frame rates).
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe", abstract: "List the formats, sizes and frame rates a V4L2 camera offers.")

    @Argument(help: "Device node or /dev/v4l/by-id/... link.")
    var device: String

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let probe: V4L2Probe
        do {
            probe = try V4L2Probe(path: device)
        } catch {
            throw CLIError("\(error)")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(probe), as: UTF8.self))
        } else {
            print(probe.description)
        }
    }
}
