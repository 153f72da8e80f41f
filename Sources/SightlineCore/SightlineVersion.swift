/// Sightline's version: the one place it is written. `sightlined`, `sightline` and `sightline-collector` print it
/// for `--version`, and `Tools/build-deb` names the Debian package after it.
public enum SightlineVersion {
    public static let string = "0.1.0"
}
