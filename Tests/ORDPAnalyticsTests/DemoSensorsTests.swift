import Foundation
import Logging
import ORDPAnalyticsAPI
import ORDPRegion
import Testing

@testable import ORDPAnalytics

/// The demo sensors: each town's own kinds in its own districts, plausible values, and a live
/// feed that goes on where the seed (or the last run) ended, without holes or repeats.
@Suite struct DemoSensorsTests {
  static let now: Int64 = 1_790_000_000_000_000  // 2026-09-21, a Monday
  static let step = DemoSensors.step

  @Test func everySensorIsInADistrictOfItsOwnTown() {
    let ids = DemoSensors.sensors.map(DemoSensors.id)
    #expect(Set(ids).count == ids.count)
    for sensor in DemoSensors.sensors {
      let town = DemoRegion.town(sensor.town)
      #expect(town?.districts.contains(sensor.district) == true, "\(sensor.name)")
    }
    func properties(_ town: String) -> Set<String> {
      Set(DemoSensors.sensors.filter { $0.town == town }.map(\.property))
    }
    #expect(Set(DemoSensors.sensors.map(\.town)) == Set(DemoRegion.towns.map(\.id)))
    #expect(properties("soest").isSuperset(of: ["bicycle_count", "parking_occupancy"]))
    #expect(properties("olpe").contains("parking_occupancy"))
    #expect(properties("menden").isSuperset(of: ["air_temperature", "water_level"]))
    #expect(properties("arnsberg").isSuperset(of: ["water_level", "soil_moisture"]))
    #expect(properties("bad-berleburg").contains("electric_energy"))
    // The districts the first demo data misplaced are in their own towns.
    #expect(DemoRegion.town("arnsberg")?.districts.contains("Hüsten") == true)
    #expect(DemoRegion.town("bad-berleburg")?.districts.contains("Raumland") == true)
    #expect(!DemoRegion.towns.contains { $0.districts.contains("Elspe") })  // Lennestadt's
  }

  @Test func valuesArePlausibleOverAWeek() {
    for (sensor, salt) in DemoSensors.selected(nil) {
      let values = (0..<(7 * 288)).map {
        DemoSensors.value(sensor.curve, at: Self.now + Int64($0) * Self.step, salt: salt)
      }
      let range = values.min()!...values.max()!
      switch sensor.property {
      case "parking_occupancy", "relative_humidity":
        #expect(range.lowerBound >= 0 && range.upperBound <= 100, "\(sensor.name)")
      case "co2": #expect(range.lowerBound >= 400 && range.upperBound < 2000)
      case "bicycle_count", "precipitation", "electric_energy", "heat_energy":
        #expect(range.lowerBound >= 0, "\(sensor.name)")
      case "air_temperature": #expect(range.lowerBound > -25 && range.upperBound < 40)
      case "water_level", "soil_moisture": #expect(range.lowerBound > 0)
      default: Issue.record("no range for \(sensor.property)")
      }
      // A sensor whose values never change would be no demo of anything.
      #expect(range.upperBound > range.lowerBound, "\(sensor.name)")
    }
    // Cyclists at 8:00 on a Monday outnumber those at 3:00 (Berlin time: UTC+2 in September).
    let ulricherTor = DemoSensors.sensors[0]
    let day = Self.now / 86_400_000_000 * 86_400_000_000
    let rush = DemoSensors.value(ulricherTor.curve, at: day + 6 * 3_600_000_000, salt: 0)
    let night = DemoSensors.value(ulricherTor.curve, at: day + 1 * 3_600_000_000, salt: 0)
    #expect(rush > night + 10)
  }

  @Test func theFeedGoesOnWhereTheSeedEnded() async throws {
    let store = try SQLiteAnalyticsStore(
      directory: FileManager.default.temporaryDirectory.appendingPathComponent(
        "ordp-demo-feed-\(UUID().uuidString)"))
    let towns: Set<String> = ["olpe", "menden"]
    let created = try await DemoSensors.seed(into: store, towns: towns, now: Self.now)
    #expect(created == DemoSensors.sensors.filter { towns.contains($0.town) }.count)
    let service = AnalyticsService(store: store, logger: Logger(label: "test"))
    try await service.start()
    let feed = DemoFeed(service: service, towns: towns, logger: Logger(label: "test"))
    let end = Self.now / Self.step * Self.step

    // 17 minutes later: the marks at +5, +10 and +15 minutes, once.
    var last: [String: Int64] = [:]
    #expect(try await feed.tick(now: end + 17 * 60_000_000, last: &last) == 3 * created)
    #expect(try await feed.tick(now: end + 19 * 60_000_000, last: &last) == 0)
    // Restarted an hour after the seed: the gap filled (9 marks), nothing written twice.
    var fresh: [String: Int64] = [:]
    #expect(try await feed.tick(now: end + 60 * 60_000_000, last: &fresh) == 9 * created)

    let record = try #require(service.directory.record("demo-olpe-water-level"))
    let read = try await store.observations(
      stream: record.key, from: end - 2 * Self.step, to: end + 61 * 60_000_000, limit: 100)
    #expect(read.times == (-2...12).map { end + Int64($0) * Self.step })
    let sensor = try #require(
      DemoSensors.selected(towns).first {
        $0.sensor.town == "olpe" && $0.sensor.slug == "water-level"
      })
    #expect(
      read.results
        == read.times.map { DemoSensors.value(sensor.sensor.curve, at: $0, salt: sensor.salt) })
    let latest = try await store.latest(streams: [record.key])
    #expect(latest[record.key]?.time == end + 12 * Self.step)
  }
}
