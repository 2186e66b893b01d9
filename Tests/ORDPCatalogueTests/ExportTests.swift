import Foundation
import ORDPCatalogueAPI
import ORDPRPC
import ORDPTestSupport
import Testing

@Suite struct ExportTests {
  typealias Platform = CatalogueEndToEndTests.Platform

  /// A dataset using every field, with text that needs escaping in both formats.
  static func rich(_ platform: Platform) -> Ordp_Catalogue_V1_Dataset {
    var dataset = platform.dataset("Straßen­reinigung \"Müll\" & Co. <Soest>")
    dataset.description_p = "Zeile 1\nZeile 2\t\\ Backslash, Emoji 🚲, Wagenrücklauf \r."
    dataset.keywords = ["Müll", "Straße"]
    dataset.themes = ["ENVI", "GOVE"]
    dataset.license = "dl-by-de/2.0"
    dataset.landingPage = "https://www.soest.de/daten?thema=müll&x=a b"
    dataset.contactPoint.name = "Stadt Soest, Abfallwirtschaft"
    dataset.contactPoint.email = "abfall@soest.de"
    dataset.contactPoint.phone = "+49 2921 103 0"
    dataset.spatial.hasBbox_p = true
    dataset.spatial.bbox.west = 8.0
    dataset.spatial.bbox.south = 51.5
    dataset.spatial.bbox.east = 8.2
    dataset.spatial.bbox.north = 51.6
    dataset.spatial.politicalGeocodingUris = [
      "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/05974040"
    ]
    dataset.temporal.startDate = "2024-01-01"
    dataset.temporal.endDate = "2024-12-31"
    var distribution = Ordp_Catalogue_V1_Distribution()
    distribution.title = "Touren als CSV"
    distribution.accessURL = "https://www.soest.de/daten/touren.csv"
    distribution.downloadURL = "https://www.soest.de/daten/touren.csv"
    distribution.format = "CSV"
    distribution.mediaType = "text/csv"
    distribution.byteSize = 12_345
    distribution.checksum.algorithm = "sha256"
    distribution.checksum.value = String(repeating: "ab", count: 32)
    var other = Ordp_Catalogue_V1_Distribution()
    other.accessURL = "https://www.soest.de/daten/touren"
    other.format = "Shape file (zip)"
    dataset.distributions = [distribution, other]
    return dataset
  }

  func export(
    _ platform: Platform, _ format: Ordp_Catalogue_V1_ExportFormat, publisher: String = "",
    as user: String?
  ) async throws -> (chunks: Int, data: Data) {
    var request = Ordp_Catalogue_V1_ExportRequest()
    request.format = format
    request.publisher = publisher
    let options = user.map { bearer(platform.tokens[$0]!) } ?? .defaults
    return try await platform.client.export(request, options: options) { stream in
      var data = Data()
      var chunks = 0
      for try await chunk in stream {
        data.append(chunk.data)
        chunks += 1
      }
      return (chunks, data)
    }
  }

  @Test(.enabled(if: RDFCheck.available, "needs Python with rdflib (scripts/install-deps.sh)"))
  func turtleAndJSONLDAreValidDCATWithTheSameGraphAndFollowAccess() async throws {
    let platform = try await Platform()
    defer { platform.stop() }
    let rich = try await platform.create(Self.rich(platform), as: "soest.editor")
    let internalOnly = try await platform.create(
      platform.dataset("Intern", access: .internal), as: "soest.editor")
    var restricted = platform.dataset("Nur für Soest", access: .restricted)
    restricted.slug = "nur-soest"
    let hidden = try await platform.create(restricted, as: "soest.editor")
    let olpe = try await platform.create(
      platform.dataset("Olpe Pegel", publisher: "olpe"), as: "olpe.editor")
    let gone = try await platform.create(platform.dataset("Zurückgezogen"), as: "soest.editor")
    var withdraw = Ordp_Catalogue_V1_WithdrawDatasetRequest()
    withdraw.id = gone.id
    withdraw.baseRevision = 1
    _ = try await platform.client.withdrawDataset(
      withdraw, options: bearer(platform.tokens["soest.editor"]!))

    // Anonymous: public datasets only, withdrawn left out; both formats the same graph.
    let turtle = try await export(platform, .turtle, as: nil)
    let jsonLD = try await export(platform, .jsonLd, as: nil)
    let rdfXML = try await export(platform, .rdfXml, as: nil)
    let anonymous = try RDFCheck.check([
      ("turtle", turtle.data), ("json-ld", jsonLD.data), ("xml", rdfXML.data),
    ])
    #expect(anonymous.isomorphic)
    #expect(Set(anonymous.triples).count == 1 && anonymous.triples[0] > 40)
    #expect(anonymous.ill_typed.isEmpty)
    #expect(Set(anonymous.datasets.keys) == [rich.id, olpe.id])
    #expect(anonymous.catalogues == ["https://data.ordp.local/catalogue"])
    #expect(anonymous.catalogue_datasets.count == 2)

    // Every field arrives, text exactly as written.
    let exported = try #require(anonymous.datasets[rich.id])
    #expect(exported["dct:title"] == [rich.title])
    #expect(exported["dct:description"] == [rich.description_p])
    #expect(exported["dcat:keyword"] == ["Müll", "Straße"])
    #expect(
      exported["dcat:theme"] == [
        "http://publications.europa.eu/resource/authority/data-theme/ENVI",
        "http://publications.europa.eu/resource/authority/data-theme/GOVE",
      ])
    #expect(exported["dct:license"] == ["http://dcat-ap.de/def/licenses/dl-by-de/2.0"])
    #expect(exported["dct:publisher"] == ["https://data.ordp.local/organisations/soest"])
    #expect(
      exported["dct:accessRights"] == [
        "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
      ])
    #expect(exported["dcat:landingPage"] == ["https://www.soest.de/daten?thema=müll&x=a%20b"])
    #expect(exported["dct:issued"].count == 1 && exported["dct:modified"].count == 1)
    // The bounding box, and the political geocoding as a spatial object (DCAT-AP.de 3.0).
    #expect(exported["dct:spatial"].count == 2 && exported["dct:temporal"].count == 1)
    #expect(
      exported["dct:spatial"].contains(
        "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/05974040"))
    #expect(exported["dcat:contactPoint"].count == 1)
    #expect(exported["dcatde:politicalGeocodingURI"].isEmpty)  // deprecated in 3.0
    #expect(exported.distributions.count == 2)
    let csv = try #require(exported.distributions.first { $0["dct:title"] == ["Touren als CSV"] })
    #expect(csv["dcat:byteSize"] == ["12345"])
    #expect(csv["dct:format"] == ["http://publications.europa.eu/resource/authority/file-type/CSV"])
    #expect(csv["dcat:mediaType"] == ["https://www.iana.org/assignments/media-types/text/csv"])
    #expect(csv["spdx:checksum"]?.count == 1)
    let shape = try #require(exported.distributions.first { $0["dct:title"] == nil })
    #expect(shape["dct:format"] == ["Shape file (zip)"])

    // A member of Soest sees internal and restricted; one town's export holds only that town.
    let member = try await export(platform, .jsonLd, publisher: "soest", as: "soest.viewer")
    let soest = try RDFCheck.check([("json-ld", member.data)])
    #expect(Set(soest.datasets.keys) == [rich.id, internalOnly.id, hidden.id])
    #expect(soest.catalogues == ["https://data.ordp.local/catalogue/soest"])
    let menden = try await export(platform, .turtle, as: "menden.viewer")
    let other = try RDFCheck.check([("turtle", menden.data)])
    #expect(Set(other.datasets.keys) == [rich.id, internalOnly.id, olpe.id])
  }

  @Test func bigExportsStreamInChunksAndBadRequestsAreRefused() async throws {
    let platform = try await Platform()
    defer { platform.stop() }
    let ids = try await withThrowingTaskGroup(of: String.self) { group in
      for index in 0..<300 {
        group.addTask {
          var dataset = Self.rich(platform)
          dataset.title = "Datensatz \(index)"
          dataset.description_p = String(repeating: "Beschreibung \(index). ", count: 20)
          return try await platform.create(dataset, as: "soest.editor").id
        }
      }
      return try await group.reduce(into: Set<String>()) { $0.insert($1) }
    }
    let turtle = try await export(platform, .turtle, as: nil)
    #expect(turtle.chunks > 3)
    let text = String(decoding: turtle.data, as: UTF8.self)
    // Every dataset once, whatever the chunking.
    for id in ids.prefix(20) {
      #expect(text.components(separatedBy: "<https://data.ordp.local/datasets/\(id)> a").count == 2)
    }
    #expect(text.components(separatedBy: " a dcat:Dataset").count == 301)

    var bad = Ordp_Catalogue_V1_ExportRequest()
    bad.publisher = "Not A Town!"
    let refused = await statusOf {
      try await platform.client.export(bad) { stream in for try await _ in stream {} }
    }
    #expect(refused?.code == .invalidArgument)
    #expect(refused?.message.hasPrefix("publisher:") == true)
    var unknown = Ordp_Catalogue_V1_ExportRequest()
    unknown.format = .UNRECOGNIZED(9)
    let format = await statusOf {
      try await platform.client.export(unknown) { stream in for try await _ in stream {} }
    }
    #expect(format?.code == .invalidArgument)
  }
}
