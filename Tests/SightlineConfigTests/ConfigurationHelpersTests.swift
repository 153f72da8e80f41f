import SightlineCore
@testable import SightlineConfig
import Testing

/// The small pieces the loader relies on: suggestions and listen addresses.
@Suite struct ConfigurationHelpersTests {
    @Test func editDistanceMatchesHandCounts() {
        #expect(Suggestion.editDistance("", "abc") == 3)
        #expect(Suggestion.editDistance("kitten", "sitting") == 3)
        #expect(Suggestion.editDistance("processfps", "process_fps") == 1)
        #expect(Suggestion.editDistance("fps", "fps") == 0)
    }

    @Test func suggestionsAreOfferedOnlyWhenPlausible() {
        let keys = ConfigReader.cameraKeys
        #expect(Suggestion.closest(to: "Process-FPS", among: keys) == "process_fps")
        #expect(Suggestion.closest(to: "queue_dept", among: keys) == "queue_depth")
        #expect(Suggestion.closest(to: "timeout", among: keys) == "device_timeout")
        #expect(Suggestion.closest(to: "colour", among: keys) == nil)
        #expect(Suggestion.closest(to: "x", among: keys) == nil)
    }

    @Test func listenAddressParsing() throws {
        #expect(try ListenAddress.parse("127.0.0.1:9464").get() == ListenAddress(host: "127.0.0.1", port: 9464))
        #expect(try ListenAddress.parse("[::1]:80").get() == ListenAddress(host: "::1", port: 80))
        #expect(try ListenAddress.parse("metrics.local:8080").get() == ListenAddress(host: "metrics.local", port: 8080))
        #expect(ListenAddress.parse("9464") == .failure(.notHostPort))
        #expect(ListenAddress.parse("::1:9464") == .failure(.bareIPv6))
        #expect(ListenAddress.parse("[::1]9464") == .failure(.notHostPort))
        #expect(ListenAddress.parse("300.0.0.1:1") == .failure(.badHost("300.0.0.1")))
        #expect(ListenAddress.parse(":9464") == .failure(.badHost("")))
        #expect(ListenAddress.parse("host:http") == .failure(.badPort("http")))
    }

    @Test func loopbackDetection() {
        let loopback = ["127.0.0.1", "127.1.2.3", "localhost", "::1"]
        let remote = ["0.0.0.0", "10.0.0.1", "192.168.1.2", "::", "example.com", "127.0.0.1.example.com"]
        for host in loopback {
            #expect(ListenAddress(host: host, port: 1).isLoopback, "\(host)")
        }
        for host in remote {
            #expect(!ListenAddress(host: host, port: 1).isLoopback, "\(host)")
        }
    }
}
