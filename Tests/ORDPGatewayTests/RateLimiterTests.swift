import NIOCore
import ORDPCatalogueAPI
import ORDPGateway
import ORDPIdentityAPI
import ORDPRPC
import ORDPTestSupport
import Testing

@Suite struct RateLimiterTests {
  let start = NIODeadline.uptimeNanoseconds(5_000_000_000_000)

  @Test func aBurstIsAllowedThenCallsWaitForTheirRate() {
    var limiter = RateLimiter(limits: [.read: RateLimit(rate: 10, burst: 3)])
    for _ in 0..<3 { #expect(limiter.take(.subject("user:a"), .read, now: start) == nil) }
    let wait = limiter.take(.subject("user:a"), .read, now: start)
    #expect(wait == .milliseconds(100))
    // 50 ms later half a token is there: 50 ms more to wait.
    #expect(
      limiter.take(.subject("user:a"), .read, now: start + .milliseconds(50)) == .milliseconds(50))
    #expect(limiter.take(.subject("user:a"), .read, now: start + .milliseconds(100)) == nil)
    // Refilled to the burst, not beyond.
    let later = start + .seconds(60)
    for _ in 0..<3 { #expect(limiter.take(.subject("user:a"), .read, now: later) == nil) }
    #expect(limiter.take(.subject("user:a"), .read, now: later) != nil)
  }

  @Test func callersAndGroupsHaveTheirOwnBucketsAndRateZeroIsNoLimit() {
    var limiter = RateLimiter(limits: [
      .read: RateLimit(rate: 1, burst: 1), .auth: RateLimit(rate: 1, burst: 1),
      .write: RateLimit(rate: 0, burst: 1),
    ])
    #expect(limiter.take(.subject("user:a"), .read, now: start) == nil)
    #expect(limiter.take(.subject("user:a"), .read, now: start) != nil)
    #expect(limiter.take(.subject("user:b"), .read, now: start) == nil)
    #expect(limiter.take(.subject("user:a"), .auth, now: start) == nil)
    for _ in 0..<100 { #expect(limiter.take(.subject("user:a"), .write, now: start) == nil) }
  }

  @Test func manyCallersKeepTheTableBounded() {
    var limiter = RateLimiter(limits: [.read: RateLimit(rate: 1, burst: 5)], maximumCallers: 1000)
    for n in 0..<10_000 {
      _ = limiter.take(.v4(UInt32(n)), .read, now: start + .milliseconds(Int64(n)))
    }
    #expect(limiter.count <= 1000)
    // A caller that just spent its burst is remembered over idle ones.
    var busy = RateLimiter(limits: [.read: RateLimit(rate: 1, burst: 2)], maximumCallers: 10)
    _ = busy.take(.subject("user:busy"), .read, now: start)
    _ = busy.take(.subject("user:busy"), .read, now: start)
    for n in 0..<50 { _ = busy.take(.subject("user:\(n)"), .read, now: start) }
    #expect(busy.take(.subject("user:busy"), .read, now: start) != nil)
  }
}

@Suite(.serialized) struct EdgeRateLimitTests {
  @Test func aCallerBeyondItsRateIsRefusedWithARetryHintBeforeAnyBackendWork() async throws {
    let platform = try await ReplicaPlatform.start(
      replicas: 1, gatewayArguments: ["--rate-limit", "read=1/2"])
    defer { platform.stop() }
    let channel = try platform.channel()
    defer { channel.close() }
    let client = Ordp_Catalogue_V1_Catalogue_Client(channel: channel)
    func searchesOnReplica() async throws -> Double {
      metric(
        try await platform.replica(0).metrics(),
        #"ordp_calls_total{method="/ordp.catalogue.v1.Catalogue/Search",code="OK"}"#) ?? 0
    }
    _ = try await client.search(.init())
    _ = try await client.search(.init())
    let refused = await statusOf { try await client.search(.init()) }
    #expect(refused?.code == .resourceExhausted)
    #expect(refused?.metadata["retry-after"] == "1")
    #expect(refused?.message.contains("retry in") == true)
    #expect(try await searchesOnReplica() == 2)
    // Another caller (a token's subject) has its own bucket.
    let token = try await Ordp_Identity_V1_Identity_Client(channel: try platform.identity.channel())
      .login("admin", IdentityProcess.adminPassword).accessToken
    #expect(try await client.search(.init(), options: bearer(token)).total > 0)
    // A second later the anonymous caller has a token again.
    try await Task.sleep(for: .milliseconds(1100))
    #expect(try await client.search(.init()).total > 0)
  }
}
