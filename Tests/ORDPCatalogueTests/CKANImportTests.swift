import Foundation
import ORDPCatalogue
import ORDPCatalogueAPI
import Testing

/// The shared real-world CKAN samples (not committed: their repositories' licences), when
/// they are next to the repository.
let sharedCKAN: URL? = {
  var url = URL(fileURLWithPath: #filePath)
  for _ in 0..<3 { url.deleteLastPathComponent() }
  let folder = url.deletingLastPathComponent().appendingPathComponent("shared/data/ckan")
  return FileManager.default.fileExists(atPath: folder.path) ? folder : nil
}()

@Suite struct CKANImportTests {
  /// A synthetic package in the shape of a municipal CKAN's `package_show` (written for ORDP).
  static let synthetic = """
    {"help": "package_show", "success": true, "result": {
      "id": "7f3e9c1a-0000-4000-8000-000000000001", "name": "parkhaeuser-soest",
      "title": "Parkhäuser Soest", "notes": "Belegung der Parkhäuser, minütlich.",
      "license_id": "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
      "metadata_created": "2024-03-01T08:00:00.123456", "metadata_modified": "2024-06-01T10:30:00",
      "maintainer": "Stadt Soest", "maintainer_email": "opendata@soest.de",
      "organization": {"name": "soest", "title": "Stadt Soest"},
      "tags": [{"name": "Parken"}, {"name": "Verkehr"}],
      "groups": [{"name": "transport_verkehr"}],
      "extras": [
        {"key": "spatial", "value": "{\\"type\\": \\"Polygon\\", \\"coordinates\\": [[[8.05, 51.55], [8.15, 51.55], [8.15, 51.60], [8.05, 51.60], [8.05, 51.55]]]}"},
        {"key": "politicalGeocodingURI", "value": "[\\"http://dcat-ap.de/def/politicalGeocoding/municipalityKey/05974040\\"]"},
        {"key": "temporal_start", "value": "2024-01-01T00:00:00"}
      ],
      "resources": [{"id": "r1", "url": "https://opendata.soest.de/parken.csv", "format": "CSV",
        "mimetype": "text/csv", "size": "2048",
        "hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}]
    }}
    """

  @Test func mapsASyntheticPackage() throws {
    let (id, dataset) = try CKANMapper.map(json: Self.synthetic, publisher: "")
    #expect(id == "7f3e9c1a-0000-4000-8000-000000000001")
    #expect(dataset.publisher == "soest" && dataset.slug == "parkhaeuser-soest")
    #expect(dataset.keywords == ["Parken", "Verkehr"] && dataset.themes == ["TRAN"])
    #expect(dataset.license == "dl-by-de/2.0")
    #expect(dataset.contactPoint.email == "opendata@soest.de")
    #expect(
      dataset.spatial.hasBbox_p && dataset.spatial.bbox.west == 8.05
        && dataset.spatial.bbox.north == 51.60)
    #expect(dataset.spatial.politicalGeocodingUris.count == 1)
    #expect(dataset.temporal.startDate == "2024-01-01")
    #expect(dataset.issuedMicros == 1_709_280_000_123_456)  // fraction kept to the microsecond
    #expect(dataset.distributions.first?.byteSize == 2048)
    #expect(dataset.distributions.first?.checksum.algorithm == "sha256")
    let valid = try DatasetValidator.validate(dataset)
    #expect(valid.title == "Parkhäuser Soest")
  }

  @Test func rejectsWithReasons() {
    let cases: [(String, String)] = [
      ("", "empty document"),
      ("[1, 2]", "not a JSON object"),
      ("{not json", "not JSON"),
      (#"{"result": {"results": [], "count": 0}}"#, "a package_search response"),
      (#"{"id": "x", "type": "harvest", "title": "Quelle"}"#, "a harvest source"),
      (#"{"title": "Ohne Id", "notes": "x"}"#, "no CKAN id or name"),
      (#"{"id": "x", "title": "Ohne Beschreibung"}"#, "no description"),
    ]
    for (json, reason) in cases {
      #expect(throws: CKANMapper.Rejection.self) {
        try CKANMapper.map(json: json, publisher: "soest")
      }
      do {
        _ = try CKANMapper.map(json: json, publisher: "soest")
      } catch {
        #expect(error.reason.hasPrefix(reason), "\(json): \(error.reason)")
      }
    }
  }

  @Test(.enabled(if: sharedCKAN != nil, "../shared/data/ckan is not next to the repository"))
  func realWorldSamplesMapOrAreRejectedWithAReason() throws {
    let folder = try #require(sharedCKAN)
    var outcomes: [String: String] = [:]
    for file in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    where file.hasSuffix(".json") {
      let json = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
      do {
        let (_, dataset) = try CKANMapper.map(json: json, publisher: "soest")
        var local = dataset
        local.publisher = "soest"
        _ = try DatasetValidator.validate(local)
        outcomes[file] = "ok"
      } catch let rejection as CKANMapper.Rejection {
        outcomes[file] = "rejected: \(rejection.reason)"
      } catch {
        outcomes[file] = "invalid: \(error)"
      }
    }
    // The package_show documents map and validate; search results, harvest sources and
    // reference lists are rejected with their reason.
    #expect(outcomes["govdata-portal-package-show-1.json"] == "ok")
    #expect(outcomes["govdata-portal-dcatap-dataset-1.json"] == "ok")
    #expect(outcomes["govdata-ckanext-govdatade-moers-1.json"] == "ok")
    #expect(outcomes["opentransportdata-swiss-package-show-1.json"] == "ok")
    #expect(outcomes["ckanext-dcat-examples-1.json"] == "ok")
    #expect(
      outcomes["govdata-portal-package-search-1.json"]?.hasPrefix("rejected: a package_search")
        == true)
    #expect(outcomes.values.allSatisfy { $0 == "ok" || $0.hasPrefix("rejected") }, "\(outcomes)")
  }
}

@Suite struct TimestampTests {
  @Test func parsesWhatCKANAndDCATWrite() {
    #expect(Timestamp.micros("1970-01-01") == 0)
    #expect(Timestamp.micros("2024-02-29T12:00:00Z") == 1_709_208_000_000_000)
    #expect(Timestamp.micros("2024-02-29T12:00:00") == 1_709_208_000_000_000)
    #expect(Timestamp.micros("2024-02-29T14:00:00+02:00") == 1_709_208_000_000_000)
    #expect(Timestamp.micros("2024-02-29T07:30:00-0430") == 1_709_208_000_000_000)
    #expect(Timestamp.micros("2023-05-10T08:43:22.123456") == 1_683_708_202_123_456)
    #expect(Timestamp.micros("2023-05-10T08:43:22.5Z") == 1_683_708_202_500_000)
    #expect(Timestamp.micros("2023-05-10 08:43") == 1_683_708_180_000_000)
    #expect(Timestamp.micros("1969-12-31T23:59:59Z") == -1_000_000)
    #expect(Timestamp.micros("2023-05-10T08:43:22.1234567891Z") == 1_683_708_202_123_456)
    for bad in [
      "", "2024", "2023-02-29", "2024-13-01", "2024-01-32", "2024-01-01T25:00", "2024-01-01T12",
      "2024-01-01T12:00:00.Z", "2024-01-01T12:00:00+2", "2024-01-01x", "２０２４-01-01",
    ] {
      #expect(Timestamp.micros(bad) == nil, "\(bad)")
    }
  }
}
