import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The user `sightlined` runs as, and what it may do with a path, judged from mode bits, owner and groups.
///
/// The systemd unit runs the daemon with `DynamicUser=yes`: its user (named after the unit) exists only
/// while the service runs. When the name is not in the user database the identity is taken to be that
/// dynamic user: it owns nothing but what systemd hands it (the state directory) and belongs to the unit's
/// `SupplementaryGroups`. ACLs are not consulted.
struct ServiceIdentity: Sendable, CustomStringConvertible {
    enum Access { case read, write, readWrite, search }

    var name: String
    /// nil for a dynamic user that does not exist right now.
    var uid: uid_t?
    /// Primary and supplementary groups.
    var groups: [gid_t]
    /// Group names, for messages.
    var groupNames: [String]

    /// Looks `name` up with getpwnam(3) and getgrouplist(3); a name that does not exist becomes the
    /// unit's dynamic user, member of `dynamicGroups` (those that exist).
    static func resolve(name: String, dynamicGroups: [String]) -> ServiceIdentity {
        guard let entry = getpwnam(name) else {
            let found = dynamicGroups.compactMap { group in getgrnam(group).map { ($0.pointee.gr_gid, group) } }
            return ServiceIdentity(name: name, uid: nil, groups: found.map(\.0), groupNames: found.map(\.1))
        }
        let uid = entry.pointee.pw_uid, gid = entry.pointee.pw_gid
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(name, gid, &groups, &count) == -1 {
            groups = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(name, gid, &groups, &count)
        }
        groups = Array(groups.prefix(Int(max(count, 0))))
        if !groups.contains(gid) { groups.append(gid) }
        let names = groups.map { gid in getgrgid(gid).map { String(cString: $0.pointee.gr_name) } ?? "\(gid)" }
        return ServiceIdentity(name: name, uid: uid, groups: groups, groupNames: names)
    }

    var isDynamic: Bool { uid == nil }

    var description: String {
        let groups = groupNames.isEmpty ? "no groups" : "groups " + groupNames.joined(separator: ",")
        if let uid { return "\(name) (uid \(uid), \(groups))" }
        return "\(name) (systemd DynamicUser, \(groups))"
    }

    /// Whether this identity may `access` the file at `path` (symlinks followed); false when it does not exist.
    func can(_ access: Access, _ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        if uid == 0 { return true }
        let shift: mode_t
        if let uid, uid == info.st_uid {
            shift = 6
        } else if groups.contains(info.st_gid) {
            shift = 3
        } else {
            shift = 0
        }
        let bits = (info.st_mode >> shift) & 0o7
        switch access {
        case .read: return bits & 0o4 != 0
        case .write: return bits & 0o2 != 0
        case .readWrite: return bits & 0o6 == 0o6
        case .search: return bits & 0o1 != 0
        }
    }

    /// `crw-rw---- root:video`, for messages about why access is refused.
    static func modeAndOwner(_ path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return "missing" }
        let type: Character = switch info.st_mode & S_IFMT {
        case S_IFCHR: "c"
        case S_IFDIR: "d"
        default: "-"
        }
        var text = String(type)
        for shift in [6, 3, 0] as [mode_t] {
            let bits = (info.st_mode >> shift) & 0o7
            text += (bits & 4 != 0 ? "r" : "-") + (bits & 2 != 0 ? "w" : "-") + (bits & 1 != 0 ? "x" : "-")
        }
        let owner = getpwuid(info.st_uid).map { String(cString: $0.pointee.pw_name) } ?? "\(info.st_uid)"
        let group = getgrgid(info.st_gid).map { String(cString: $0.pointee.gr_name) } ?? "\(info.st_gid)"
        return "\(text) \(owner):\(group)"
    }
}
