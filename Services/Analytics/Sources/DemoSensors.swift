import Foundation
import ORDPAnalyticsAPI

/// Demo datastreams for `ordp dev up`: a few sensors per town (counting stations, CO₂ in a
/// school, a river gauge, car-park occupancy) with two weeks of 5-minute observations up to
/// now, deterministic curves with noise. Synthetic: no real sensor's data.
public enum DemoSensors {
  struct Kind {
    var name: String
    var property: String
    var unit: String
    var access: Ordp_Analytics_V1_AccessLevel
    var value: (Int, Int) -> Double
  }

  static let towns: [(id: String, name: String, lon: Double, lat: Double)] = [
    ("arnsberg", "Arnsberg", 8.0644, 51.3967), ("bad-berleburg", "Bad Berleburg", 8.3925, 51.0531),
    ("menden", "Menden", 7.7994, 51.4436), ("olpe", "Olpe", 7.8514, 51.0289),
    ("soest", "Soest", 8.1064, 51.5711),
  ]

  static func noise(_ index: Int, _ salt: Int) -> Double {
    var hash = UInt64(index) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(salt) &* 0xBF58_476D_1CE4_E5B9
    hash ^= hash >> 31
    return Double(hash % 1000) / 1000
  }

  static func dayShare(_ index: Int) -> Double { Double(index % 288) / 288 }

  static var kinds: [Kind] {
    [
      Kind(
        name: "Radzählstelle Innenstadt", property: "bicycle_count", unit: "1", access: .public,
        value: { index, salt in
          (max(0, 25 * sin(2 * .pi * (dayShare(index) - 0.3))) + 6 * noise(index, salt)).rounded()
        }),
      Kind(
        name: "CO₂ Grundschule, Klassenraum 1", property: "co2", unit: "ppm", access: .internal,
        value: { index, salt in
          let share = dayShare(index)
          return 420 + (share > 0.33 && share < 0.58 ? 900 * sin(.pi * (share - 0.33) / 0.25) : 0)
            + 40 * noise(index, salt)
        }),
      Kind(
        name: "Pegel Ruhr", property: "water_level", unit: "cm", access: .public,
        value: { index, salt in
          120 + 30 * sin(2 * .pi * Double(index) / 4032) + 3 * noise(index, salt)
        }),
      Kind(
        name: "Parkhaus Markt, belegte Plätze", property: "parking_occupancy", unit: "%",
        access: .public,
        value: { index, salt in
          min(100, max(0, 70 * sin(.pi * dayShare(index)) + 10 * noise(index, salt)))
        }),
    ]
  }

  /// Creates the demo streams and their data unless the store has datastreams already;
  /// returns how many streams it created.
  public static func seed(
    into store: any AnalyticsStore, towns only: Set<String>? = nil, now: Int64
  ) async throws -> Int {
    guard try await store.datastreams().isEmpty else { return 0 }
    let step: Int64 = 300_000_000
    let count = 14 * 288
    let end = now / step * step
    var created = 0
    for (townIndex, town) in towns.enumerated() where only?.contains(town.id) ?? true {
      for (kindIndex, kind) in kinds.enumerated() {
        var stream = Ordp_Analytics_V1_Datastream()
        stream.id = "demo-\(town.id)-\(kind.property.replacingOccurrences(of: "_", with: "-"))"
        stream.owner = town.id
        stream.name = "\(kind.name) (\(town.name))"
        stream.observedProperty = kind.property
        stream.unit = kind.unit
        stream.accessLevel = kind.access
        stream.thing.name = "\(kind.name), \(town.name)"
        stream.thing.location.longitude = town.lon + Double(kindIndex) * 0.002
        stream.thing.location.latitude = town.lat + Double(kindIndex) * 0.001
        stream.createdMicros = now
        let record = try await store.insertDatastream(stream)
        let salt = townIndex * 10 + kindIndex
        let times = (0..<count).map { end - Int64(count - 1 - $0) * step }
        let results = (0..<count).map { kind.value($0, salt) }
        _ = try await store.write([
          SeriesWrite(
            stream: record.key, columns: ObservationColumns(times: times, results: results))
        ])
        created += 1
      }
    }
    return created
  }
}
