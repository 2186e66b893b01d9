import ORDPIdentityAPI
import Synchronization
import Testing

@testable import ORDPGateway

struct TownCacheTests {
  @Test func theTownListIsKeptForItsTimeAndAFailureIsNot() async throws {
    let fetches = Atomic<Int>(0)
    let soest = Ordp_Identity_V1_Organisation.with { $0.id = "soest" }
    @Sendable func fetch() async throws -> [Ordp_Identity_V1_Organisation] {
      fetches.wrappingAdd(1, ordering: .relaxed)
      return [soest]
    }
    let kept = TownCache(ttl: .seconds(3600))
    #expect(try await kept.towns(fetch) == [soest])
    #expect(try await kept.towns(fetch) == [soest])
    #expect(fetches.load(ordering: .relaxed) == 1)

    let fresh = TownCache(ttl: .zero)
    _ = try await fresh.towns(fetch)
    _ = try await fresh.towns(fetch)
    #expect(fetches.load(ordering: .relaxed) == 3)

    let failing = TownCache(ttl: .seconds(3600))
    await #expect(throws: CancellationError.self) {
      try await failing.towns { throw CancellationError() }
    }
    #expect(try await failing.towns(fetch) == [soest])
    #expect(fetches.load(ordering: .relaxed) == 4)
  }
}
