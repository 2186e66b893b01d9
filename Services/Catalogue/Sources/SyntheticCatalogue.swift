import Foundation
public import ORDPCatalogueAPI
import ORDPRegion
import ORDPWire

/// A synthetic catalogue of the region (our own invented data, free to use): German titles,
/// descriptions and keywords, EU themes, licences, formats, bounding boxes around the towns,
/// modified times over five years, mostly public. Deterministic for a seed. Serves the demo
/// data of `ordp dev up` and the catalogue benchmark.
public struct SyntheticCatalogue: Sendable {
  /// Town id with its centre (longitude, latitude).
  public static let towns: [(id: String, lon: Double, lat: Double)] = DemoRegion.towns.map {
    ($0.id, $0.longitude, $0.latitude)
  }
  static let topics: [(title: String, theme: String, keywords: [String], formats: [String])] = [
    ("Parkplätze und Parkhäuser", "TRAN", ["Parken", "Verkehr", "Auslastung"], ["CSV", "JSON"]),
    ("Radverkehrszählung", "TRAN", ["Fahrrad", "Zählstelle", "Verkehr"], ["CSV", "JSON"]),
    ("Haltestellen des ÖPNV", "TRAN", ["Bus", "Haltestelle", "ÖPNV"], ["GEOJSON", "CSV"]),
    ("Baustellen im Straßennetz", "TRAN", ["Baustelle", "Straße", "Verkehr"], ["GEOJSON", "WMS"]),
    ("Abfuhrtermine Müll", "ENVI", ["Müll", "Abfall", "Termine"], ["ICS", "CSV"]),
    ("Straßenbäume", "ENVI", ["Baum", "Straße", "Grünflächen"], ["GEOJSON", "SHP", "CSV"]),
    ("Luftqualität an Schulen", "ENVI", ["Luft", "CO2", "Schule"], ["CSV", "JSON"]),
    ("Pegelstände", "ENVI", ["Wasser", "Pegel", "Hochwasser"], ["CSV", "JSON"]),
    ("Haushaltsplan", "GOVE", ["Finanzen", "Haushalt", "Verwaltung"], ["XLSX", "PDF", "CSV"]),
    ("Wahlergebnisse", "GOVE", ["Wahl", "Politik", "Ergebnisse"], ["CSV", "XLSX"]),
    ("Ratsinformationen", "GOVE", ["Rat", "Sitzung", "Politik"], ["PDF", "JSON"]),
    ("Kindertagesstätten", "EDUC", ["Kita", "Betreuung", "Familie"], ["CSV", "GEOJSON"]),
    ("Schulen und Schülerzahlen", "EDUC", ["Schule", "Bildung", "Statistik"], ["CSV", "XLSX"]),
    (
      "Bebauungspläne", "REGI", ["Bauleitplanung", "Bebauungsplan", "Stadtplanung"], ["WMS", "PDF"]
    ),
    ("Einwohnerstatistik", "SOCI", ["Bevölkerung", "Einwohner", "Statistik"], ["CSV", "XLSX"]),
    ("Spielplätze", "SOCI", ["Spielplatz", "Familie", "Freizeit"], ["GEOJSON", "CSV"]),
    ("Sportstätten", "SOCI", ["Sport", "Halle", "Freizeit"], ["CSV", "GEOJSON"]),
    (
      "Ladesäulen für Elektrofahrzeuge", "ENER", ["Elektromobilität", "Laden", "Energie"],
      ["CSV", "JSON"]
    ),
    (
      "Energieverbrauch öffentlicher Gebäude", "ENER", ["Energie", "Strom", "Wärme"],
      ["CSV", "XLSX"]
    ),
    ("Gewerbeanmeldungen", "ECON", ["Gewerbe", "Wirtschaft", "Statistik"], ["CSV", "XLSX"]),
    ("Denkmalliste", "EDUC", ["Denkmal", "Kultur", "Geschichte"], ["CSV", "PDF"]),
    ("Friedhöfe", "SOCI", ["Friedhof", "Grabstätten"], ["GEOJSON", "PDF"]),
    ("Notfallapotheken", "HEAL", ["Apotheke", "Gesundheit", "Notdienst"], ["JSON", "CSV"]),
    ("Breitbandausbau", "TECH", ["Breitband", "Internet", "Glasfaser"], ["WMS", "CSV"]),
  ]
  static let extraKeywords = [
    "Open Data", "Smart City", "Sensor", "Echtzeit", "Karte", "Jahresbericht", "Quartal",
    "Stadtwerke", "Bürgerservice", "Klimaschutz", "Mobilität", "Barrierefreiheit", "Tourismus",
    "Ehrenamt", "Sicherheit", "Straßenreinigung", "Winterdienst", "Lärm", "Hitze", "Starkregen",
  ]
  static let licenses = [
    "dl-by-de/2.0", "dl-by-de/2.0", "dl-by-de/2.0", "dl-zero-de/2.0", "cc-by/4.0",
  ]
  static let mediaTypes = [
    "CSV": "text/csv", "JSON": "application/json", "GEOJSON": "application/geo+json",
    "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "PDF": "application/pdf", "ICS": "text/calendar", "WMS": "application/xml",
    "SHP": "application/zip",
  ]

  let seed: UInt64
  /// Modified times fall in the five years before this (microseconds since 1970).
  let now: Int64

  public init(seed: UInt64 = 42, now: Int64 = 1_790_000_000_000_000) {
    self.seed = seed
    self.now = now
  }

  /// The `index`th dataset (no id; slug unique per town for distinct indexes).
  public func dataset(_ index: Int) -> Ordp_Catalogue_V1_Dataset {
    var random = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
    let town = Self.towns[index % Self.towns.count]
    let topic = Self.topics[random.below(Self.topics.count)]
    // A district of the dataset's own town.
    let districts = DemoRegion.towns[index % DemoRegion.towns.count].districts
    let district = districts[random.below(districts.count)]
    let year = 2015 + random.below(11)
    var dataset = Ordp_Catalogue_V1_Dataset()
    dataset.publisher = town.id
    dataset.title = "\(topic.title) \(district) \(year)"
    dataset.slug = "\(GermanFolding.slug(topic.title))-\(index)"
    dataset.description_p =
      "\(topic.title) im Bereich \(district) der Stadt für das Jahr \(year). "
      + "Die Daten werden von der Verwaltung gepflegt und regelmäßig aktualisiert; "
      + "sie umfassen \(10 + random.below(990)) Einträge mit Lage und Stand."
    dataset.keywords = topic.keywords + [district]
    for _ in 0..<random.below(3) {
      let extra = Self.extraKeywords[random.below(Self.extraKeywords.count)]
      if !dataset.keywords.contains(extra) { dataset.keywords.append(extra) }
    }
    dataset.themes = [topic.theme]
    if random.below(5) == 0 { dataset.themes.append(topic.theme == "GOVE" ? "SOCI" : "GOVE") }
    dataset.license = Self.licenses[random.below(Self.licenses.count)]
    dataset.contactPoint.name = "Stadtverwaltung \(town.id.capitalized)"
    dataset.contactPoint.email = "opendata@\(town.id).example.de"
    dataset.spatial.hasBbox_p = true
    let dx = Double(random.below(50)) / 1000
    let dy = Double(random.below(30)) / 1000
    dataset.spatial.bbox.west = town.lon - 0.02 - dx
    dataset.spatial.bbox.east = town.lon + 0.02 + dx
    dataset.spatial.bbox.south = town.lat - 0.015 - dy
    dataset.spatial.bbox.north = town.lat + 0.015 + dy
    dataset.temporal.startDate = "\(year)-01-01"
    dataset.temporal.endDate = "\(year)-12-31"
    let fiveYears: Int64 = 5 * 365 * 86_400 * 1_000_000
    dataset.modifiedMicros = now - Int64(random.next() % UInt64(fiveYears))
    dataset.issuedMicros = dataset.modifiedMicros - Int64(random.below(1000)) * 86_400_000_000
    let roll = random.below(100)
    dataset.accessLevel = roll < 85 ? .public : roll < 95 ? .internal : .restricted
    let base = "https://opendata.\(town.id).example.de/\(dataset.slug)"
    dataset.landingPage = base
    for (number, format) in topic.formats.enumerated() where number == 0 || random.below(2) == 0 {
      var distribution = Ordp_Catalogue_V1_Distribution()
      distribution.id = "\(number + 1)"
      distribution.title = "\(topic.title) (\(format))"
      distribution.accessURL = "\(base)/\(number + 1).\(format.lowercased())"
      distribution.downloadURL = distribution.accessURL
      distribution.format = format
      distribution.mediaType = Self.mediaTypes[format] ?? ""
      distribution.byteSize = Int64(1_000 + random.below(5_000_000))
      dataset.distributions.append(distribution)
    }
    return dataset
  }

  /// The dataset as a CKAN `package_show` result (what an import from a town's CKAN sends).
  /// CKAN has no "internal" level: internal datasets come out public, restricted ones private.
  public func ckanJSON(_ index: Int) -> String {
    let dataset = dataset(index)
    let box = dataset.spatial.bbox
    let polygon =
      "{\"type\":\"Polygon\",\"coordinates\":[[[\(box.west),\(box.south)],[\(box.east),\(box.south)],"
      + "[\(box.east),\(box.north)],[\(box.west),\(box.north)],[\(box.west),\(box.south)]]]}"
    let formatter = ISO8601DateFormatter()
    func date(_ micros: Int64) -> String {
      formatter.string(from: Date(timeIntervalSince1970: Double(micros) / 1_000_000))
    }
    let package: [String: Any] = [
      "id": String(format: "%08x-0000-4000-8000-%012x", Int(seed % 0xFFFF_FFFF), index),
      "name": dataset.slug, "title": dataset.title, "notes": dataset.description_p,
      "private": dataset.accessLevel == .restricted,
      "organization": ["name": dataset.publisher],
      "tags": dataset.keywords.map { ["name": $0] },
      "groups": dataset.themes.map { ["name": $0.lowercased()] },
      "license_id": dataset.license, "url": dataset.landingPage,
      "maintainer": dataset.contactPoint.name, "maintainer_email": dataset.contactPoint.email,
      "metadata_created": date(dataset.issuedMicros),
      "metadata_modified": date(dataset.modifiedMicros),
      "extras": [
        ["key": "spatial", "value": polygon],
        ["key": "temporal_start", "value": dataset.temporal.startDate],
        ["key": "temporal_end", "value": dataset.temporal.endDate],
      ],
      "resources": dataset.distributions.map { distribution in
        [
          "id": distribution.id, "name": distribution.title, "url": distribution.accessURL,
          "format": distribution.format, "mimetype": distribution.mediaType,
          "size": distribution.byteSize,
        ] as [String: Any]
      },
    ]
    let data = try! JSONSerialization.data(withJSONObject: package, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
  }
}

extension SplitMix64 {
  mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

extension SyntheticCatalogue {
  /// Fills an empty catalogue with the datasets among the first `count` synthetic ones
  /// (demo data) whose town is in `towns` (nil: every town) — a partition of a partitioned
  /// catalogue holds its towns' share; leaves a catalogue that has seen any write alone. Ids
  /// are fixed per index, so replicas seeded alike hold the same datasets. Returns how many it
  /// created.
  public static func seedDemo(
    into store: any CatalogueStore, count: Int, towns: Set<String>? = nil, at now: Int64
  )
    async throws -> Int
  {
    guard try await store.latestPosition() == 0 else { return 0 }
    let synthetic = SyntheticCatalogue(seed: 2026, now: now)
    var created = 0
    for index in 0..<count {
      var dataset = try DatasetValidator.validate(synthetic.dataset(index))
      if let towns, !towns.contains(dataset.publisher) { continue }
      dataset.id = String(format: "00000000-0000-4000-8000-%012x", index)
      _ = try await store.create(
        dataset, action: "create", context: WriteContext(author: "system:demo-data", at: now))
      created += 1
    }
    return created
  }
}
