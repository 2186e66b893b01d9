import ORDPServiceKit
import Testing

@Suite struct RestartBackoffTests {
  @Test func quickExitsWaitLongerEachTimeUpToTheMaximumAndALongRunResets() {
    var backoff = RestartBackoff()
    // A process that ran for an hour and exited: restarted at once.
    #expect(backoff.exited(after: .seconds(3600)) == .zero)
    // It keeps exiting soon after starting: 1 s, 2 s, 4 s … capped at 30 s.
    let delays = (0..<7).map { _ in backoff.exited(after: .seconds(2)) }
    #expect(delays == [1, 2, 4, 8, 16, 30, 30].map { Duration.seconds($0) })
    // Failing to start at all counts the same.
    #expect(backoff.exited(after: .zero) == .seconds(30))
    // Once it has run for a minute it is well again.
    #expect(backoff.exited(after: .seconds(61)) == .zero)
    #expect(backoff.exited(after: .seconds(1)) == .seconds(1))
  }
}

@Suite struct ListeningLineTests {
  @Test func thePortIsReadBackFromTheLineAServicePrints() {
    let line = ServiceHost.listeningLine("ordp-catalogue", host: "127.0.0.1", port: 7445)
    #expect(line == "ordp-catalogue: listening on 127.0.0.1:7445")
    #expect(ServiceHost.port(inListeningLine: line[...]) == 7445)
    #expect(ServiceHost.port(inListeningLine: "ordp-identity: listening on [::1]:80") == 80)
    #expect(ServiceHost.port(inListeningLine: "2026-12-05 info: started") == nil)
    #expect(ServiceHost.port(inListeningLine: "x: listening on 127.0.0.1:99999") == nil)
    #expect(ServiceHost.port(inListeningLine: "x: listening on 127.0.0.1:") == nil)
  }
}
