import Foundation
import ORDPAuth
import ORDPCatalogue
import ORDPCatalogueAPI
import ORDPRPC
import ORDPTestSupport
import Testing

/// The export checked with GovData's DCAT-AP.de 3.0 SHACL shapes (`SHACLCheck`: pySHACL as
/// GovData's validator applies them): no result of severity Violation, in Turtle, JSON-LD and
/// RDF/XML,
/// for each town's catalogue and the region's, for the demo data, for what the real CKAN
/// samples import as, and for edge cases of our own.
@Suite struct DCATValidityTests {
  static let base = "https://data.ordp.local/"
  /// A contributor id of the form GovData assigns (a made-up one).
  static let contributor = "http://dcat-ap.de/def/contributors/ordpRegionSauerland"

  /// The documents of an export of `datasets` (a town's catalogue, or the region's), as the
  /// catalogue's Export writes them: the catalogue and its publisher first, then each
  /// dataset's nodes.
  static func documents(
    _ datasets: [Ordp_Catalogue_V1_Dataset], publisher: String?
  ) -> [(String, Data)] {
    var mapping = DCATMapping(
      baseIRI: base,
      towns: ["soest": TownInfo(name: "Stadt Soest", municipalityKey: "05974040")],
      contributorID: contributor)
    let catalogue = mapping.catalogueIRI(publisher: publisher)
    var nodes = mapping.catalogue(publisher: publisher)
    for dataset in datasets { nodes += mapping.nodes(dataset, catalogue: catalogue) }
    let turtle = TurtleWriter()
    let jsonLD = JSONLDWriter()
    let rdfXML = RDFXMLWriter()
    let ttl = turtle.header() + nodes.map(turtle.node).joined() + turtle.footer()
    let json =
      jsonLD.header()
      + nodes.enumerated().map { jsonLD.node($1, first: $0 == 0) }.joined() + jsonLD.footer()
    let xml = rdfXML.header() + nodes.map(rdfXML.node).joined() + rdfXML.footer()
    return [("turtle", Data(ttl.utf8)), ("json-ld", Data(json.utf8)), ("xml", Data(xml.utf8))]
  }

  static func expectValid(
    _ datasets: [Ordp_Catalogue_V1_Dataset], publisher: String?, _ what: String
  ) throws {
    for report in try SHACLCheck.check(documents(datasets, publisher: publisher)) {
      #expect(report.triples > 0)
      #expect(
        report.violations.isEmpty,
        "\(what), \(report.document): \(report.violations.prefix(5).map(\.description))")
      // Nor warnings (deprecated properties and the like).
      #expect(
        report.warnings.isEmpty,
        "\(what), \(report.document): \(report.warnings.prefix(5).map(\.description))")
    }
  }

  @Test(.enabled(if: SHACLCheck.available, "needs pySHACL and ../shared/data/dcat-ap-de-shacl"))
  func theDemoCatalogueIsValidForEveryTownAndTheRegion() throws {
    let synthetic = SyntheticCatalogue()
    let datasets = try (0..<120).map { index in
      var dataset = synthetic.dataset(index)
      dataset.id = "demo-\(index)"  // given by the store on creation
      return try DatasetValidator.validate(dataset)
    }
    #expect(Set(datasets.map(\.publisher)).count == SyntheticCatalogue.towns.count)
    try Self.expectValid(datasets, publisher: nil, "the region")
    // The platform's contributor id on every dataset.
    let turtle = String(decoding: Self.documents(datasets, publisher: nil)[0].1, as: UTF8.self)
    let contributor = "dcatde:contributorID <\(Self.contributor)>"
    #expect(turtle.components(separatedBy: contributor).count - 1 == datasets.count)
    // Soest's datasets geocoded to Soest by its municipality key.
    let geocoded =
      "dct:spatial <http://dcat-ap.de/def/politicalGeocoding/municipalityKey/05974040>"
    let soest = datasets.filter {
      $0.publisher == "soest" && $0.spatial.politicalGeocodingUris.isEmpty
    }
    #expect(!soest.isEmpty)
    #expect(turtle.components(separatedBy: geocoded).count - 1 == soest.count)
    // The town's geocoding IRI is typed once, not once per dataset.
    let typed = "<http://dcat-ap.de/def/politicalGeocoding/municipalityKey/05974040> a dct:Location"
    #expect(turtle.components(separatedBy: typed).count - 1 == 1)
    for town in Set(datasets.map(\.publisher)) {
      try Self.expectValid(datasets.filter { $0.publisher == town }, publisher: town, town)
    }
    // A town without datasets yet: its catalogue alone.
    try Self.expectValid([], publisher: "hagen", "an empty town")
  }

  @Test(
    .enabled(if: SHACLCheck.available, "needs pySHACL and ../shared/data/dcat-ap-de-shacl"),
    .enabled(if: sharedCKAN != nil, "../shared/data/ckan is not next to the repository"))
  func whatTheRealCKANSamplesImportAsIsValid() throws {
    let folder = try #require(sharedCKAN)
    var imported: [Ordp_Catalogue_V1_Dataset] = []
    for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    where name.hasSuffix(".json") {
      let data = try Data(contentsOf: folder.appendingPathComponent(name))
      for document in CKANDocuments.split(data, label: name) {
        guard let json = document.json,
          var dataset = try? CKANMapper.map(json: json, publisher: "soest").dataset
        else { continue }
        dataset.id = "ckan-\(imported.count)"
        dataset.publisher = "soest"
        imported.append(try DatasetValidator.validate(dataset))
      }
    }
    #expect(imported.count >= 8, "\(imported.count) packages imported")
    // Licences as the samples write them map onto the vocabulary: "cc-nc" (GovData's older
    // id), "dl-by-de/2_0", a Creative Commons URL on a resource.
    #expect(imported.allSatisfy { $0.license.isEmpty || DCATLicences.ids.contains($0.license) })
    try Self.expectValid(imported, publisher: "soest", "the CKAN samples")
  }

  @Test(.enabled(if: SHACLCheck.available, "needs pySHACL and ../shared/data/dcat-ap-de-shacl"))
  func edgeCasesAreValid() throws {
    func dataset(
      _ id: String, _ change: (inout Ordp_Catalogue_V1_Dataset) -> Void
    ) throws
      -> Ordp_Catalogue_V1_Dataset
    {
      var dataset = Ordp_Catalogue_V1_Dataset()
      dataset.id = id
      dataset.publisher = "soest"
      dataset.title = "Randfall \(id)"
      dataset.description_p = "Ein Datensatz für einen Randfall."
      change(&dataset)
      return try DatasetValidator.validate(dataset)
    }
    func distribution(_ n: Int) -> Ordp_Catalogue_V1_Distribution {
      var distribution = Ordp_Catalogue_V1_Distribution()
      distribution.id = "d\(n)"
      distribution.accessURL = "https://example.de/\(n).csv"
      return distribution
    }
    let cases = [
      // Nothing but what is required: no distributions, no dates, no licence.
      try dataset("bare") { _ in },
      // A licence on the dataset only; many distributions without their own.
      try dataset("many") { d in
        d.license = "dl-zero-de/2.0"
        d.distributions = (0..<60).map(distribution)
      },
      // No licence anywhere, distributions without formats.
      try dataset("unlicensed") { d in d.distributions = [distribution(1)] },
      // A distribution's licence differs from the dataset's; an unusual format.
      try dataset("mixed") { d in
        d.license = "cc-by/4.0"
        var own = distribution(2)
        own.license = "dl-by-de/2.0"
        own.format = "GeoPackage"
        d.distributions = [own, distribution(3)]
      },
      // Restricted and internal access.
      try dataset("restricted") { d in d.accessLevel = .restricted },
      try dataset("internal") { d in d.accessLevel = .internal },
    ]
    try Self.expectValid(cases, publisher: "soest", "edge cases")
    try Self.expectValid(cases, publisher: nil, "edge cases in the region")
  }

  @Test func licencesMapOntoTheVocabularyOrAreRefused() throws {
    let expectations: [(String, String?)] = [
      ("dl-by-de/2.0", "dl-by-de/2.0"),
      ("http://dcat-ap.de/def/licenses/dl-by-de/2_0", "dl-by-de/2.0"),
      ("cc-nc", "cc-by-nc"),
      ("odc-odbl", "odbl"),
      ("CC-BY-4.0", "cc-by/4.0"),
      ("http://creativecommons.org/licenses/by/3.0/", "cc-by"),
      ("https://creativecommons.org/licenses/by/3.0/de/", "cc-by-de/3.0"),
      ("https://creativecommons.org/publicdomain/zero/1.0/", "cc-zero"),
      ("officialwork", "officialWork"),
      ("proprietär", nil),
      ("", nil),
    ]
    for (raw, id) in expectations { #expect(DCATLicences.id(raw) == id, "\(raw)") }
    #expect(DCATLicences.iri("") == "http://dcat-ap.de/def/licenses/other-closed")
    // Creating a dataset with a licence outside the vocabulary is refused, naming it.
    var dataset = Ordp_Catalogue_V1_Dataset()
    dataset.publisher = "soest"
    dataset.title = "x"
    dataset.description_p = "y"
    dataset.license = "proprietär"
    do {
      _ = try DatasetValidator.validate(dataset)
      Issue.record("a licence outside the vocabulary was taken")
    } catch {
      #expect(error.code == .invalidArgument && error.message.contains("proprietär"), "\(error)")
    }
    dataset.license = "CC-BY-4.0"
    #expect(try DatasetValidator.validate(dataset).license == "cc-by/4.0")
  }
}
