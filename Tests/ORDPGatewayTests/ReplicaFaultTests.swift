import Foundation
import ORDPCatalogueAPI
import ORDPRPC
import ORDPTestSupport
import Testing

/// Replicas of the catalogue behind a real gateway, killed, drained, restarted, added and
/// overloaded under load — every process real, on loopback.
@Suite(.serialized) struct ReplicaFaultTests {
  @Test func aKilledReplicaIsTakenOutAtOnceAndBackInRotationAfterItRestarts() async throws {
    // A long ejection: the replica can only come back through its health watch.
    let platform = try await ReplicaPlatform.start(
      replicas: 2, gatewayArguments: ["--ejection-seconds", "300"])
    defer { platform.stop() }
    let channel = try platform.channel()
    defer { channel.close() }
    let client = Ordp_Catalogue_V1_Catalogue_Client(channel: channel)
    let total = try await client.search(.init()).total
    let load = SearchLoad(client: client, concurrency: 4, total: total)
    try await load.waitForAnswers(200)

    platform.stopReplica(1, signal: SIGKILL)
    try await load.waitForAnswers(400)
    // Calls in flight on the killed replica are read calls: tried again on the other one
    // within the retry budget (at least 3 at once; 4 callers): none fails.
    let afterKill = load.failures
    #expect(afterKill.isEmpty, "\(afterKill.map(\.error))")
    let metrics = try await platform.gateway.metrics()
    let replica1 = "replica=\"127.0.0.1:\(platform.replica(1).port)\""
    #expect(
      metric(metrics, "ordp_gateway_replica_healthy{backend=\"catalogue\",\(replica1)}") == 0)

    try await platform.restartReplica(1)
    // Back in rotation: the restarted replica answers searches through the gateway.
    var served = 0.0
    let deadline = ContinuousClock.now + .seconds(20)
    while served < 20, ContinuousClock.now < deadline {
      try await load.waitForAnswers(100)
      served =
        metric(
          try await platform.replica(1).metrics(),
          #"ordp_calls_total{method="/ordp.catalogue.v1.Catalogue/Search",code="OK"}"#) ?? 0
    }
    await load.stop()
    #expect(served >= 20, "the restarted replica got \(served) searches")
    #expect(load.failures.isEmpty, "\(load.failures.map(\.error))")
  }

  @Test func aReplicaShutDownGracefullyUnderLoadLosesNoCall() async throws {
    let platform = try await ReplicaPlatform.start(replicas: 2)
    defer { platform.stop() }
    let channel = try platform.channel()
    defer { channel.close() }
    let client = Ordp_Catalogue_V1_Catalogue_Client(channel: channel)
    let total = try await client.search(.init()).total
    let load = SearchLoad(client: client, concurrency: 8, total: total)
    try await load.waitForAnswers(200)
    platform.stopReplica(1, signal: SIGTERM)
    try await load.waitForAnswers(400)
    await load.stop()
    #expect(load.failures.isEmpty, "\(load.failures.map(\.error))")
  }

  @Test func aReplicaAddedToTheTopologyFileTakesCallsAfterSIGHUP() async throws {
    let platform = try await ReplicaPlatform.start(replicas: 2)
    defer { platform.stop() }
    // Start with the first replica only.
    try ReplicaPlatform.topology(identity: platform.identity, catalogue: [platform.replica(0).port])
      .write(to: platform.topologyFile, atomically: true, encoding: .utf8)
    kill(platform.gateway.process.processIdentifier, SIGHUP)
    let channel = try platform.channel()
    defer { channel.close() }
    let client = Ordp_Catalogue_V1_Catalogue_Client(channel: channel)
    try await Task.sleep(for: .milliseconds(300))
    func searchesOn(_ index: Int) async throws -> Double {
      metric(
        try await platform.replica(index).metrics(),
        #"ordp_calls_total{method="/ordp.catalogue.v1.Catalogue/Search",code="OK"}"#) ?? 0
    }
    let before = try await searchesOn(1)
    for _ in 0..<40 { _ = try await client.search(.init()) }
    #expect(try await searchesOn(1) == before, "a replica taken out got calls")

    // A file that does not check changes nothing.
    try "{\"identity\": {}}".write(to: platform.topologyFile, atomically: true, encoding: .utf8)
    kill(platform.gateway.process.processIdentifier, SIGHUP)
    try await Task.sleep(for: .milliseconds(300))
    for _ in 0..<20 { _ = try await client.search(.init()) }
    #expect(try await searchesOn(1) == before)

    try ReplicaPlatform.topology(
      identity: platform.identity, catalogue: [platform.replica(0).port, platform.replica(1).port]
    ).write(to: platform.topologyFile, atomically: true, encoding: .utf8)
    kill(platform.gateway.process.processIdentifier, SIGHUP)
    try await Task.sleep(for: .milliseconds(300))
    for _ in 0..<40 { _ = try await client.search(.init()) }
    #expect(try await searchesOn(1) > before + 5)
  }

  /// Two replicas, one of them stopped (SIGSTOP: connected and "serving", but silent): a read
  /// sent to it is answered by the other once the hedging delay has passed; without hedging it
  /// waits for its deadline. Reads one after the other, so the retry budget never decides.
  @Test(arguments: [true, false]) func hedgedReadsGetAroundASilentReplica(
    hedging: Bool
  )
    async throws
  {
    let platform = try await ReplicaPlatform.start(
      replicas: 2, gatewayArguments: hedging ? ["--hedge-after-percentile", "95"] : [])
    defer { platform.stop() }
    let channel = try platform.channel()
    defer { channel.close() }
    let client = Ordp_Catalogue_V1_Catalogue_Client(channel: channel)
    let id = try await client.search(.with { $0.pageSize = 1 }).hits[0].dataset.id
    // Enough answers for the method's latency percentile.
    for _ in 0..<80 { _ = try await client.getDataset(.with { $0.id = id }) }
    let pid = platform.replica(1).process.processIdentifier
    kill(pid, SIGSTOP)
    defer { kill(pid, SIGCONT) }
    // Each read goes to either replica (neither has a call outstanding once a hedge won and
    // cancelled the other attempt): 20 of them reach the silent one all but surely.
    var outcomes: [StatusCode?] = []
    for _ in 0..<20 {
      let outcome = await statusOf {
        try await client.getDataset(.with { $0.id = id }, options: .init(timeout: .seconds(1)))
      }?.code
      outcomes.append(outcome)
      if outcome != nil { break }
    }
    if hedging {
      #expect(outcomes.count == 20 && outcomes.allSatisfy { $0 == nil }, "\(outcomes)")
      let hedges =
        metric(
          try await platform.gateway.metrics(), #"ordp_gateway_hedges_total{backend="catalogue"}"#)
        ?? 0
      #expect(hedges >= 1)
    } else {
      // The replica that stopped answering holds the read it got until its deadline.
      #expect(outcomes.last == .deadlineExceeded, "\(outcomes)")
    }
  }

  @Test func clientsGoOnAfterTheGatewayIsRestarted() async throws {
    let platform = try await ReplicaPlatform.start(replicas: 1)
    defer { platform.stop() }
    let channel = try platform.channel()
    defer { channel.close() }
    let client = Ordp_Catalogue_V1_Catalogue_Client(channel: channel)
    let total = try await client.search(.init()).total
    let port = platform.gateway.port
    platform.gateway.stop(signal: SIGKILL)
    #expect(await statusOf { try await client.search(.init()) }?.code == .unavailable)
    let again = try await ReplicaPlatform.startGateway(
      identity: platform.identity, topology: platform.topologyFile,
      arguments: ["--port", "\(port)"])
    defer { again.stop() }
    // The same channel connects again (after its back-off) and its calls go through.
    var answered = 0
    let deadline = ContinuousClock.now + .seconds(15)
    while answered < 20, ContinuousClock.now < deadline {
      if let r = try? await client.search(.init()), r.total == total {
        answered += 1
      } else {
        try await Task.sleep(for: .milliseconds(100))
      }
    }
    #expect(answered == 20)
  }

  @Test func aReplicaAtItsPendingLimitIsRefusedAtOnceNotQueuedBehind() async throws {
    let platform = try await ReplicaPlatform.start(
      replicas: 1, gatewayArguments: ["--max-pending-per-replica", "2"])
    defer { platform.stop() }
    let channel = try platform.channel()
    defer { channel.close() }
    let client = Ordp_Catalogue_V1_Catalogue_Client(channel: channel)
    _ = try await client.search(.init())
    // The replica stops answering: two calls wait on it, the third is refused.
    let pid = platform.replica(0).process.processIdentifier
    kill(pid, SIGSTOP)
    defer { kill(pid, SIGCONT) }
    let waiting = (0..<2).map { _ in
      Task {
        await statusOf { try await client.search(.init(), options: .init(timeout: .seconds(3))) }
      }
    }
    try await Task.sleep(for: .milliseconds(300))
    let refused = await statusOf {
      try await client.search(.init(), options: .init(timeout: .seconds(2)))
    }
    #expect(refused?.code == .unavailable)
    #expect(
      refused?.message.contains("limit of pending calls") == true, "\(String(describing: refused))")
    for w in waiting { #expect(await w.value?.code == .deadlineExceeded) }
    kill(pid, SIGCONT)
    // Once the calls ended, the replica takes calls again (the gateway learns that the two
    // waiting calls ended when their cancellations reach it, a moment after the caller gave
    // up on them).
    var total: UInt64? = nil
    let deadline = ContinuousClock.now + .seconds(10)
    while total == nil, ContinuousClock.now < deadline {
      total = try? await client.search(.init()).total
      if total == nil { try await Task.sleep(for: .milliseconds(50)) }
    }
    #expect((total ?? 0) > 0)
  }
}
