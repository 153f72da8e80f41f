#if canImport(Glibc)
import Glibc
#endif

/// Ownership of files the CLI writes into the daemon's state directory.
///
/// The systemd unit runs the daemon as a dynamic user that owns the state directory; an operator runs
/// `sightline gallery enroll` or `sightline device rotate` as root. A root-owned 0600 file there would be
/// unreadable to the daemon, so, when running as root, a new file takes the owner of its directory.
public enum StateFileOwner {
    /// Gives the open file `fd` the owner and group of `directory` when this process is root and the directory
    /// belongs to someone else. Does nothing otherwise; returns false only when a needed `fchown` failed.
    @discardableResult
    public static func adopt(fd: Int32, directory: String) -> Bool {
        guard geteuid() == 0 else { return true }
        var st = stat()
        guard stat(directory.isEmpty ? "." : directory, &st) == 0, st.st_uid != 0 else { return true }
        return fchown(fd, st.st_uid, st.st_gid) == 0
    }
}
