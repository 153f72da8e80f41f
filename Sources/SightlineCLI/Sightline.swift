import ArgumentParser
import SightlineCore

/// `sightline`: the operator's and developer's tool beside the daemon.
@main
struct Sightline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sightline",
        abstract: "Sightline edge vision tools: read cameras and footage, inspect.",
        version: SightlineVersion.string,
        subcommands: [
            FramesCommand.self,
            ProbeCommand.self,
            FacesCommand.self,
            GalleryCommand.self,
            KeygenCommand.self,
            DeviceCommand.self,
            EventsCommand.self,
            VerifyCommand.self,
            ReplayCommand.self, ScenesCommand.self, EvalCommand.self,
            DoctorCommand.self,
        ])
}
