import ServiceLifecycle

/// The console's background chain check as a service of the collector's application, beside its server: it starts
/// with the collector once the console's tables exist (or, with `chainCheckAtStart` off, when the overview first
/// asks), and ends on the application's shutdown, before `runService` returns and the store may close.
struct ChainCheckService: Service {
    let console: Console

    func run() async throws {
        await cancelWhenGracefulShutdown {
            guard (try? await console.ready()) != nil else { return }
            await console.chain.run(immediately: console.configuration.chainCheckAtStart)
        }
        // A service that returns ends the whole application: without its tables the check waits for the shutdown.
        try? await gracefulShutdown()
    }
}
