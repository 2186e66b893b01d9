import Foundation
import ORDPAnalyticsAPI
import ORDPRegion

/// Demo datastreams for `ordp dev up`: each town's own kind of sensors in its real districts
/// (`DemoRegion`) — Soest's cycle counting stations and car parks, Olpe's parking sensors,
/// Menden's weather station and river gauges, Arnsberg's stream gauges and soil moisture,
/// Bad Berleburg's energy meters, two sensors in Iserlohn, the town that joins later — with two
/// weeks of 5-minute observations up to now. Values are deterministic curves of the Berlin
/// time of day with noise: a function of the instant alone, so the live feed (`feed`) goes on
/// where the seed ended and replicas given the same time hold the same data. Synthetic: no
/// real sensor's data.
public enum DemoSensors {
  /// What a sensor measures and how its values go.
  enum Curve: Sendable {
    /// Cyclists per 5 minutes, peaks at 8:00 and 17:00 on working days.
    case bicycles(scale: Double)
    /// Occupied share of a car park (%), full around midday and on Saturdays.
    case parking(scale: Double)
    /// A river's level (cm) around `base`, rising and falling over days.
    case waterLevel(base: Double, swing: Double)
    /// CO₂ in a classroom (ppm), high during lessons on working days.
    case co2
    /// Air temperature (°C), coldest at 5:00, warmest at 15:00.
    case temperature
    /// Rain per 5 minutes (mm), in showers.
    case precipitation
    /// Relative humidity (%), the inverse of the temperature's day.
    case humidity
    /// Soil moisture in 30 cm (% by volume), slowly drying, wetted by the showers.
    case soilMoisture(base: Double)
    /// Energy per 5 minutes (kWh): a base load and working hours.
    case energy(base: Double, working: Double)
  }

  struct Sensor: Sendable {
    var town: String
    /// Unique within the town; the stream id is `demo-<town>-<slug>`.
    var slug: String
    var name: String
    /// A district of the town (`DemoRegion`).
    var district: String
    var property: String
    var unit: String
    var access: Ordp_Analytics_V1_AccessLevel
    var curve: Curve
  }

  static let sensors: [Sensor] = [
    // Soest: cycle counting stations and car parks in and around the old town.
    Sensor(
      town: "soest", slug: "bicycle-count-ulricher-tor", name: "Radzählstelle Ulricher Tor",
      district: "Altstadt", property: "bicycle_count", unit: "1", access: .public,
      curve: .bicycles(scale: 30)),
    Sensor(
      town: "soest", slug: "bicycle-count-ampen", name: "Radzählstelle Ampen",
      district: "Ampen", property: "bicycle_count", unit: "1", access: .public,
      curve: .bicycles(scale: 9)),
    Sensor(
      town: "soest", slug: "parking-occupancy-altstadt", name: "Parkhaus Altstadt, belegte Plätze",
      district: "Altstadt", property: "parking_occupancy", unit: "%", access: .public,
      curve: .parking(scale: 1)),
    Sensor(
      town: "soest", slug: "parking-occupancy-deiringsen",
      name: "P+R-Parkplatz Deiringsen, belegte Plätze", district: "Deiringsen",
      property: "parking_occupancy", unit: "%", access: .public, curve: .parking(scale: 0.7)),
    Sensor(
      town: "soest", slug: "water-level", name: "Pegel Soestbach", district: "Altstadt",
      property: "water_level", unit: "cm", access: .public,
      curve: .waterLevel(base: 45, swing: 12)),
    Sensor(
      town: "soest", slug: "co2-ampen", name: "CO₂ Grundschule Ampen, Klassenraum 1",
      district: "Ampen", property: "co2", unit: "ppm", access: .internal, curve: .co2),
    // Olpe: parking sensors in the town centre and the districts.
    Sensor(
      town: "olpe", slug: "parking-occupancy-marktplatz",
      name: "Parksensoren Marktplatz, belegte Plätze", district: "Innenstadt",
      property: "parking_occupancy", unit: "%", access: .public, curve: .parking(scale: 1.05)),
    Sensor(
      town: "olpe", slug: "parking-occupancy-rhode", name: "Parksensoren Rhode, belegte Plätze",
      district: "Rhode", property: "parking_occupancy", unit: "%", access: .public,
      curve: .parking(scale: 0.6)),
    Sensor(
      town: "olpe", slug: "parking-occupancy-rueblinghausen",
      name: "Parksensoren Rüblinghausen, belegte Plätze", district: "Rüblinghausen",
      property: "parking_occupancy", unit: "%", access: .public, curve: .parking(scale: 0.5)),
    Sensor(
      town: "olpe", slug: "water-level", name: "Pegel Bigge", district: "Innenstadt",
      property: "water_level", unit: "cm", access: .public,
      curve: .waterLevel(base: 85, swing: 20)),
    Sensor(
      town: "olpe", slug: "co2-griesemert", name: "CO₂ Grundschule Griesemert, Klassenraum 2",
      district: "Griesemert", property: "co2", unit: "ppm", access: .internal, curve: .co2),
    // Menden: a weather station and the gauges of the Hönne and the Ruhr.
    Sensor(
      town: "menden", slug: "air-temperature", name: "Wetterstation Lendringsen, Lufttemperatur",
      district: "Lendringsen", property: "air_temperature", unit: "Cel", access: .public,
      curve: .temperature),
    Sensor(
      town: "menden", slug: "precipitation", name: "Wetterstation Lendringsen, Niederschlag",
      district: "Lendringsen", property: "precipitation", unit: "mm", access: .public,
      curve: .precipitation),
    Sensor(
      town: "menden", slug: "relative-humidity",
      name: "Wetterstation Lendringsen, relative Luftfeuchte", district: "Lendringsen",
      property: "relative_humidity", unit: "%", access: .public, curve: .humidity),
    Sensor(
      town: "menden", slug: "water-level", name: "Pegel Hönne", district: "Innenstadt",
      property: "water_level", unit: "cm", access: .public,
      curve: .waterLevel(base: 60, swing: 18)),
    Sensor(
      town: "menden", slug: "water-level-ruhr", name: "Pegel Ruhr", district: "Bösperde",
      property: "water_level", unit: "cm", access: .public,
      curve: .waterLevel(base: 140, swing: 35)),
    Sensor(
      town: "menden", slug: "co2-halingen", name: "CO₂ Grundschule Halingen, Klassenraum 1",
      district: "Halingen", property: "co2", unit: "ppm", access: .internal, curve: .co2),
    // Arnsberg: the Ruhr and the Röhr, and soil moisture in the fields.
    Sensor(
      town: "arnsberg", slug: "water-level", name: "Pegel Ruhr", district: "Neheim",
      property: "water_level", unit: "cm", access: .public,
      curve: .waterLevel(base: 120, swing: 30)),
    Sensor(
      town: "arnsberg", slug: "water-level-roehr", name: "Pegel Röhr", district: "Hüsten",
      property: "water_level", unit: "cm", access: .public,
      curve: .waterLevel(base: 55, swing: 15)),
    Sensor(
      town: "arnsberg", slug: "water-level-oeventrop", name: "Pegel Ruhr", district: "Oeventrop",
      property: "water_level", unit: "cm", access: .public,
      curve: .waterLevel(base: 105, swing: 28)),
    Sensor(
      town: "arnsberg", slug: "soil-moisture-herdringen", name: "Bodenfeuchte Herdringen, 30 cm",
      district: "Herdringen", property: "soil_moisture", unit: "%", access: .public,
      curve: .soilMoisture(base: 28)),
    Sensor(
      town: "arnsberg", slug: "soil-moisture-bruchhausen",
      name: "Bodenfeuchte Bruchhausen, 30 cm", district: "Bruchhausen",
      property: "soil_moisture", unit: "%", access: .internal, curve: .soilMoisture(base: 33)),
    // Bad Berleburg: energy meters of the town's buildings.
    Sensor(
      town: "bad-berleburg", slug: "energy-rathaus", name: "Stromzähler Rathaus",
      district: "Kernstadt", property: "electric_energy", unit: "kW.h", access: .public,
      curve: .energy(base: 1.5, working: 4)),
    Sensor(
      town: "bad-berleburg", slug: "energy-buergerhaus-girkhausen",
      name: "Stromzähler Bürgerhaus Girkhausen", district: "Girkhausen",
      property: "electric_energy", unit: "kW.h", access: .public,
      curve: .energy(base: 0.3, working: 0.8)),
    Sensor(
      town: "bad-berleburg", slug: "heat-grundschule-raumland",
      name: "Wärmemengenzähler Grundschule Raumland", district: "Raumland",
      property: "heat_energy", unit: "kW.h", access: .internal,
      curve: .energy(base: 2, working: 6)),
    Sensor(
      town: "bad-berleburg", slug: "energy-klaeranlage-berghausen",
      name: "Stromzähler Kläranlage Berghausen", district: "Berghausen",
      property: "electric_energy", unit: "kW.h", access: .internal,
      curve: .energy(base: 6, working: 1)),
    // Iserlohn, the town that joins later: its first two sensors, in Letmathe.
    Sensor(
      town: "iserlohn", slug: "bicycle-count-letmathe", name: "Radzählstelle Letmathe",
      district: "Letmathe", property: "bicycle_count", unit: "1", access: .public,
      curve: .bicycles(scale: 12)),
    Sensor(
      town: "iserlohn", slug: "water-level", name: "Pegel Lenne", district: "Letmathe",
      property: "water_level", unit: "cm", access: .public,
      curve: .waterLevel(base: 110, swing: 30)),
  ]

  /// Observations are 5 minutes apart, on the 5-minute marks.
  static let step: Int64 = 300_000_000
  /// The seed's span: two weeks.
  static let seedSlots = 14 * 288

  static func id(_ sensor: Sensor) -> String { "demo-\(sensor.town)-\(sensor.slug)" }

  /// Noise in [0, 1) for an instant and a sensor.
  static func noise(_ time: Int64, _ salt: Int) -> Double {
    var hash = UInt64(bitPattern: time / step) &* 0x9E37_79B9_7F4A_7C15
    hash &+= UInt64(salt) &* 0xBF58_476D_1CE4_E5B9
    hash ^= hash >> 31
    hash &*= 0x94D0_49BB_1331_11EB
    hash ^= hash >> 29
    return Double(hash % 1000) / 1000
  }

  /// The value of `curve` at `time` (microseconds since 1970).
  static func value(_ curve: Curve, at time: Int64, salt: Int) -> Double {
    let seconds = time / 1_000_000
    let local = seconds + BerlinCalendar.offset(atUTC: seconds)
    let hour = Double(((local % 86_400) + 86_400) % 86_400) / 3600
    // 1970-01-01 was a Thursday: 0 is Monday.
    let weekday = ((local / 86_400 + 3) % 7 + 7) % 7
    let workday = weekday < 5
    let days = Double(seconds) / 86_400
    let random = noise(time, salt)
    func bump(_ centre: Double, _ width: Double) -> Double {
      exp(-((hour - centre) * (hour - centre)) / (2 * width * width))
    }
    // Showers: some 5-minute slots of some hours, the same for every sensor of the region.
    let showerHour = noise(time / 3_600_000_000 * 3_600_000_000, 7) < 0.12
    let shower = showerHour ? max(0, noise(time, 11) - 0.3) * 0.9 : 0
    switch curve {
    case .bicycles(let scale):
      let shape =
        workday
        ? 0.9 * bump(7.8, 0.8) + 1.0 * bump(16.8, 1.2) + 0.35 * bump(12.5, 2)
        : 0.6 * bump(14, 3)
      return (scale * shape + scale * 0.15 * random).rounded()
    case .parking(let scale):
      let shape = workday ? 0.75 * bump(11.5, 3.2) : (weekday == 5 ? 0.95 : 0.4) * bump(12, 3)
      return min(100, max(0, (100 * scale * shape + 8 * random).rounded()))
    case .waterLevel(let base, let swing):
      let wave = sin(2 * .pi * days / 9.3) + 0.4 * sin(2 * .pi * days / 2.7)
      return ((base + swing * wave / 1.4 + 1.5 * random) * 10).rounded() / 10
    case .co2:
      let lessons = workday && hour > 7.8 && hour < 13.2
      let level = lessons ? 650 + 700 * sin(.pi * (hour - 7.8) / 5.4) : 0
      return (420 + level + 40 * random).rounded()
    case .temperature:
      let season = 9 - 8 * cos(2 * .pi * (days - 15) / 365.25)
      let day = 4 * sin(2 * .pi * (hour - 9) / 24)
      return ((season + day + 0.6 * random) * 10).rounded() / 10
    case .precipitation:
      return (shower * 10).rounded() / 10
    case .humidity:
      return min(100, (78 - 14 * sin(2 * .pi * (hour - 9) / 24) + 6 * random).rounded())
    case .soilMoisture(let base):
      return ((base + 4 * sin(2 * .pi * days / 11) + 0.4 * random) * 10).rounded() / 10
    case .energy(let base, let working):
      let open = workday && hour > 7 && hour < 17 ? working : 0
      return ((base + open + 0.3 * (base + working) * random) * 100).rounded() / 100
    }
  }

  /// The sensors of `towns` (all when nil), each with its salt.
  static func selected(_ towns: Set<String>?) -> [(sensor: Sensor, salt: Int)] {
    sensors.enumerated().filter { towns?.contains($0.element.town) ?? true }
      .map { ($0.element, $0.offset) }
  }

  /// The columns of `sensor` on the 5-minute marks after `after` up to `through`.
  static func columns(
    _ sensor: Sensor, salt: Int, after: Int64, through: Int64
  ) -> ObservationColumns? {
    let first = (after / step + 1) * step
    guard first <= through else { return nil }
    let times = Array(stride(from: first, through: through, by: Int(step)))
    return ObservationColumns(
      times: times, results: times.map { value(sensor.curve, at: $0, salt: salt) })
  }

  /// Creates the demo streams and their data unless the store has datastreams already;
  /// returns how many streams it created.
  public static func seed(
    into store: any AnalyticsStore, towns only: Set<String>? = nil, now: Int64
  ) async throws -> Int {
    guard try await store.datastreams().isEmpty else { return 0 }
    let end = now / step * step
    var created = 0
    for (index, (sensor, salt)) in selected(only).enumerated() {
      guard let town = DemoRegion.town(sensor.town) else { continue }
      var stream = Ordp_Analytics_V1_Datastream()
      stream.id = id(sensor)
      stream.owner = town.id
      stream.name = "\(sensor.name) (\(town.name)-\(sensor.district))"
      stream.observedProperty = sensor.property
      stream.unit = sensor.unit
      stream.accessLevel = sensor.access
      stream.thing.name = "\(sensor.name), \(sensor.district), \(town.name)"
      // Near the town's centre, each sensor in its own place.
      let angle = Double(index) * 2.4
      stream.thing.location.longitude = town.longitude + 0.012 * cos(angle)
      stream.thing.location.latitude = town.latitude + 0.008 * sin(angle)
      stream.createdMicros = now
      let record = try await store.insertDatastream(stream)
      if let columns = columns(
        sensor, salt: salt, after: end - Int64(seedSlots) * step, through: end)
      {
        _ = try await store.write([SeriesWrite(stream: record.key, columns: columns)])
      }
      created += 1
    }
    return created
  }
}
