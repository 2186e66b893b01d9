import Foundation
import ORDPAnalyticsAPI
import ORDPRPC
import ORDPTestSupport
import Testing

/// `ordp-analytics --demo-feed` as `ordp dev up` runs it: the feed runs beside the server.
@Suite struct DemoFeedProcessTests {
  @Test func analyticsFedSinceAnHourAgoHasItsStreamsUpToNow() async throws {
    let identity = try await IdentityProcess.start()
    defer { identity.stop() }
    let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
    // Demo data that ended an hour ago, as after a restart an hour later.
    let analytics = try await ServiceProcess.start(
      "ordp-analytics",
      arguments: ReplicaPlatform.identityArguments(identity) + [
        "--demo-sensors", "--demo-time", "\(now - 3_600_000_000)", "--demo-towns", "olpe",
        "--demo-feed",
      ])
    defer { analytics.stop() }
    let client = Ordp_Analytics_V1_Analytics_Client(channel: try analytics.channel())
    let request = Ordp_Analytics_V1_LatestRequest.with {
      $0.streams.datastreamIds = ["demo-olpe-water-level"]
    }
    // The feed's first look, at start, fills the hour up to the last 5-minute mark.
    var latest: Int64 = 0
    for _ in 0..<100 {
      latest = try await client.latest(request).values.first?.timeMicros ?? 0
      if latest > now - 600_000_000 { break }
      try await Task.sleep(for: .milliseconds(100))
    }
    #expect(latest > now - 600_000_000 && latest <= now + 300_000_000, "\(latest) vs \(now)")
    #expect(latest % 300_000_000 == 0)
  }
}
