import EventLog
import Foundation
import SightlineTestKit
import Testing

/// `sightline verify --each`: events received one by one (over MQTT, with gaps for types not published) verify
/// line by line, where an export's chain check refuses them.
@Suite struct VerifyEachTests {
    @Test func eventsWithGapsVerifyEachOnItsOwnAndATamperedOneFails() throws {
        let fixture = try ExportFixture(events: 6, checkpointEvery: 100)
        var picked = fixture
        picked.lines = [fixture.lines[fixture.eventLines[1]], fixture.lines[fixture.eventLines[4]]]
        let each = try VerifyCommandTests.verify(picked, ["--each"])
        #expect(each.status == 0, "\(each.stderr)")
        #expect(each.stdout.contains("ok: 2 event(s), each signed by \(fixture.key.deviceID)"), "\(each.stdout)")
        #expect(try VerifyCommandTests.verify(picked).status != 0, "a chain with gaps is not an export")

        var tampered = picked
        tampered.lines[1] = tampered.lines[1].replacingOccurrences(of: "\"seq\":5", with: "\"seq\":50")
        #expect(tampered.lines[1] != picked.lines[1])
        let refused = try VerifyCommandTests.verify(tampered, ["--each"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("does not verify"), "\(refused.stderr)")
    }
}
