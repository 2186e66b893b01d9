import Foundation
import Testing

@testable import ORDPIdentity

/// The towns identity seeds, with their municipality keys — also into a store seeded before
/// towns had keys, without overwriting a key set since.
@Suite struct OrganisationSeedTests {
  @Test func theShippedTownsHaveTheirKeysAndAnOlderStoreGetsThem() async throws {
    let seed = try OrganisationSeed.load(from: nil)
    let keys = Dictionary(
      uniqueKeysWithValues: seed.organisations.map { ($0.id, $0.municipalityKey) })
    #expect(keys["soest"] == "05974040" && keys["arnsberg"] == "05958004")
    #expect(seed.organisations.allSatisfy { $0.municipalityKey?.count == 8 })

    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ordp-seed-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let store = try SQLiteIdentityStore(directory: directory)
    // Seeded as before keys existed; one town's key set by hand since.
    var old = seed.records(now: 1)
    for index in old.indices { old[index].municipalityKey = nil }
    old[0].municipalityKey = "99999999"
    #expect(try await store.seedOrganisations(old) == old.count)
    // The next start seeds again: nothing inserted, the missing keys filled in.
    #expect(try await store.seedOrganisations(seed.records(now: 2)) == 0)
    let stored = Dictionary(
      uniqueKeysWithValues: try await store.organisations(includeInactive: true).map {
        ($0.id, $0.municipalityKey)
      })
    #expect(stored[old[0].id] == "99999999")
    #expect(stored["soest"] == "05974040")
  }
}
