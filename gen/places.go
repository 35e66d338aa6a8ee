package gen

// Geography of the markets, for the addresses of stores and dealers: the country's full
// name (as locations spell it), a few real cities with their centre's coordinates (WGS84
// degrees, rounded) and a postal code pattern, street names and a phone number pattern.
//
// Patterns: '#' is a digit 0-9, '%' a digit 1-9, '@' an upper-case letter the country uses
// in postal codes; every other character stands for itself.

type city struct {
	name     string
	lat, lng float64
	postal   string // pattern
}

type geography struct {
	country string // full name
	tld     string // web domain of the country, for websites
	phone   string // pattern
	// streets are street names; numberFirst writes "12 High Street" instead of
	// "Hauptstraße 12".
	streets     []string
	numberFirst bool
	letters     string // letters of '@' in postal codes
	cities      []city
}

var geo = map[string]geography{
	"SE": {country: "Sweden", tld: "se", phone: "+46 %# ### ## ##",
		streets: []string{"Storgatan", "Industrivägen", "Kungsgatan", "Verkstadsgatan", "Norra vägen", "Hantverkargatan", "Företagsvägen"},
		cities: []city{
			{"Stockholm", 59.3293, 18.0686, "11# ##"}, {"Göteborg", 57.7089, 11.9746, "41# ##"},
			{"Malmö", 55.6050, 13.0038, "21# ##"}, {"Uppsala", 59.8586, 17.6389, "75# ##"},
			{"Umeå", 63.8258, 20.2630, "90# ##"}, {"Luleå", 65.5848, 22.1547, "97# ##"},
			{"Östersund", 63.1792, 14.6357, "83# ##"}, {"Sundsvall", 62.3908, 17.3069, "85# ##"},
			{"Örebro", 59.2753, 15.2134, "70# ##"}, {"Jönköping", 57.7826, 14.1618, "55# ##"},
			{"Kiruna", 67.8558, 20.2253, "981 ##"}, {"Falun", 60.6065, 15.6355, "79# ##"},
		}},
	"FI": {country: "Finland", tld: "fi", phone: "+358 %# ### ####",
		streets: []string{"Teollisuuskatu", "Hämeenkatu", "Kauppakatu", "Rautatienkatu", "Konepajankatu", "Tehtaankatu", "Asemakatu"},
		cities: []city{
			{"Helsinki", 60.1699, 24.9384, "00##0"}, {"Tampere", 61.4978, 23.7610, "33##0"},
			{"Turku", 60.4518, 22.2666, "20##0"}, {"Oulu", 65.0121, 25.4651, "90##0"},
			{"Rovaniemi", 66.5039, 25.7294, "96##0"}, {"Jyväskylä", 62.2426, 25.7473, "40##0"},
			{"Kuopio", 62.8924, 27.6770, "70##0"}, {"Lahti", 60.9827, 25.6612, "15##0"},
			{"Joensuu", 62.6010, 29.7636, "80##0"}, {"Kajaani", 64.2222, 27.7278, "87##0"},
			{"Vaasa", 63.0951, 21.6165, "65##0"}, {"Kittilä", 67.6520, 24.9110, "99100"},
		}},
	"NO": {country: "Norway", tld: "no", phone: "+47 %## ## ###",
		streets: []string{"Storgata", "Industriveien", "Kongens gate", "Sandveien", "Verkstedveien", "Strandgata"},
		cities: []city{
			{"Oslo", 59.9139, 10.7522, "0###"}, {"Bergen", 60.3913, 5.3221, "50##"},
			{"Trondheim", 63.4305, 10.3951, "70##"}, {"Stavanger", 58.9700, 5.7331, "40##"},
			{"Tromsø", 69.6492, 18.9553, "90##"}, {"Bodø", 67.2804, 14.4049, "80##"},
			{"Lillehammer", 61.1153, 10.4662, "26##"}, {"Alta", 69.9689, 23.2716, "95##"},
			{"Kristiansand", 58.1467, 7.9956, "46##"},
		}},
	"DK": {country: "Denmark", tld: "dk", phone: "+45 %# ## ## ##",
		streets: []string{"Industrivej", "Vestergade", "Nørregade", "Hovedgaden", "Håndværkervej", "Stationsvej"},
		cities: []city{
			{"København", 55.6761, 12.5683, "1###"}, {"Aarhus", 56.1629, 10.2039, "80##"},
			{"Odense", 55.4038, 10.4024, "50##"}, {"Aalborg", 57.0488, 9.9217, "90##"},
			{"Esbjerg", 55.4765, 8.4594, "67##"}, {"Herning", 56.1393, 8.9738, "74##"},
			{"Vejle", 55.7113, 9.5364, "71##"},
		}},
	"DE": {country: "Germany", tld: "de", phone: "+49 %## #######",
		streets: []string{"Hauptstraße", "Industriestraße", "Bahnhofstraße", "Gewerbering", "Am Sägewerk", "Werkstraße", "Gartenstraße"},
		cities: []city{
			{"Berlin", 52.5200, 13.4050, "10###"}, {"Hamburg", 53.5511, 9.9937, "20###"},
			{"München", 48.1351, 11.5820, "80###"}, {"Köln", 50.9375, 6.9603, "50###"},
			{"Frankfurt am Main", 50.1109, 8.6821, "60###"}, {"Stuttgart", 48.7758, 9.1829, "70###"},
			{"Dresden", 51.0504, 13.7373, "01###"}, {"Freiburg im Breisgau", 47.9990, 7.8421, "79###"},
			{"Nürnberg", 49.4521, 11.0767, "90###"}, {"Hannover", 52.3759, 9.7320, "30###"},
			{"Koblenz", 50.3569, 7.5890, "56###"}, {"Garmisch-Partenkirchen", 47.4917, 11.0955, "8246#"},
			{"Leipzig", 51.3397, 12.3731, "04###"},
		}},
	"AT": {country: "Austria", tld: "at", phone: "+43 %## ######",
		streets: []string{"Hauptstraße", "Industriestraße", "Bahnhofstraße", "Gewerbepark", "Landstraße"},
		cities: []city{
			{"Wien", 48.2082, 16.3738, "1###"}, {"Graz", 47.0707, 15.4395, "80##"},
			{"Linz", 48.3069, 14.2858, "40##"}, {"Salzburg", 47.8095, 13.0550, "50##"},
			{"Innsbruck", 47.2692, 11.4041, "60##"}, {"Klagenfurt", 46.6247, 14.3053, "90##"},
			{"Bregenz", 47.5031, 9.7471, "69##"},
		}},
	"CH": {country: "Switzerland", tld: "ch", phone: "+41 %# ### ## ##",
		streets: []string{"Bahnhofstrasse", "Industriestrasse", "Hauptstrasse", "Gewerbestrasse", "Dorfstrasse"},
		cities: []city{
			{"Zürich", 47.3769, 8.5417, "80##"}, {"Genève", 46.2044, 6.1432, "12##"},
			{"Basel", 47.5596, 7.5886, "40##"}, {"Bern", 46.9480, 7.4474, "30##"},
			{"Lausanne", 46.5197, 6.6323, "10##"}, {"Luzern", 47.0502, 8.3093, "60##"},
			{"Lugano", 46.0037, 8.9511, "69##"}, {"Chur", 46.8508, 9.5320, "70##"},
		}},
	"FR": {country: "France", tld: "fr", phone: "+33 % ## ## ## ##", numberFirst: true,
		streets: []string{"rue de la Gare", "avenue Jean Jaurès", "route de Lyon", "rue de l'Industrie", "boulevard Gambetta", "rue des Artisans"},
		cities: []city{
			{"Paris", 48.8566, 2.3522, "750##"}, {"Lyon", 45.7640, 4.8357, "6900%"},
			{"Marseille", 43.2965, 5.3698, "130##"}, {"Toulouse", 43.6047, 1.4442, "310##"},
			{"Grenoble", 45.1885, 5.7245, "380##"}, {"Annecy", 45.8992, 6.1294, "74000"},
			{"Strasbourg", 48.5734, 7.7521, "670##"}, {"Rennes", 48.1173, -1.6778, "350##"},
			{"Bordeaux", 44.8378, -0.5792, "330##"}, {"Lille", 50.6292, 3.0573, "590##"},
			{"Nantes", 47.2184, -1.5536, "440##"}, {"Chambéry", 45.5646, 5.9178, "73000"},
		}},
	"BE": {country: "Belgium", tld: "be", phone: "+32 %# ## ## ##",
		streets: []string{"Rue de l'Industrie", "Kerkstraat", "Stationsstraat", "Chaussée de Louvain", "Nijverheidslaan"},
		cities: []city{
			{"Bruxelles", 50.8503, 4.3517, "10#0"}, {"Antwerpen", 51.2194, 4.4025, "20##"},
			{"Gent", 51.0543, 3.7174, "90##"}, {"Liège", 50.6326, 5.5797, "40##"},
			{"Namur", 50.4674, 4.8720, "50##"}, {"Brugge", 51.2093, 3.2247, "80##"},
			{"Hasselt", 50.9307, 5.3325, "3500"},
		}},
	"NL": {country: "Netherlands", tld: "nl", phone: "+31 %# ### ####", letters: "ABCEGHJKLMNPRTVWXZ",
		streets: []string{"Industrieweg", "Stationsstraat", "Kerkstraat", "Dorpsstraat", "Handelsweg", "Ambachtsweg"},
		cities: []city{
			{"Amsterdam", 52.3676, 4.9041, "10%# @@"}, {"Rotterdam", 51.9244, 4.4777, "30%# @@"},
			{"Utrecht", 52.0907, 5.1214, "35%# @@"}, {"Den Haag", 52.0705, 4.3007, "25%# @@"},
			{"Eindhoven", 51.4416, 5.4697, "56%# @@"}, {"Groningen", 53.2194, 6.5665, "97%# @@"},
			{"Zwolle", 52.5168, 6.0830, "80%# @@"}, {"Arnhem", 51.9851, 5.8987, "68%# @@"},
		}},
	"IT": {country: "Italy", tld: "it", phone: "+39 0%# ### ####",
		streets: []string{"Via Roma", "Via dell'Industria", "Via Garibaldi", "Viale Europa", "Via Nazionale", "Via dell'Artigianato"},
		cities: []city{
			{"Roma", 41.9028, 12.4964, "001##"}, {"Milano", 45.4642, 9.1900, "201##"},
			{"Torino", 45.0703, 7.6869, "101##"}, {"Bologna", 44.4949, 11.3426, "401##"},
			{"Firenze", 43.7696, 11.2558, "501##"}, {"Bolzano", 46.4983, 11.3548, "39100"},
			{"Trento", 46.0748, 11.1217, "381##"}, {"Verona", 45.4384, 10.9916, "371##"},
			{"Napoli", 40.8518, 14.2681, "801##"}, {"Bergamo", 45.6983, 9.6773, "241##"},
		}},
	"ES": {country: "Spain", tld: "es", phone: "+34 9%# ### ###",
		streets: []string{"Calle Mayor", "Avenida de la Industria", "Calle del Sol", "Camino Real", "Calle de la Estación"},
		cities: []city{
			{"Madrid", 40.4168, -3.7038, "280##"}, {"Barcelona", 41.3874, 2.1686, "080##"},
			{"Valencia", 39.4699, -0.3763, "460##"}, {"Sevilla", 37.3891, -5.9845, "410##"},
			{"Bilbao", 43.2630, -2.9350, "480##"}, {"Zaragoza", 41.6488, -0.8891, "500##"},
			{"Pamplona", 42.8125, -1.6458, "310##"}, {"Málaga", 36.7213, -4.4214, "290##"},
			{"Granada", 37.1773, -3.5986, "180##"}, {"Girona", 41.9794, 2.8214, "170##"},
		}},
	"PL": {country: "Poland", tld: "pl", phone: "+48 %# ### ## ##",
		streets: []string{"ul. Przemysłowa", "ul. Główna", "ul. Kolejowa", "ul. Leśna", "ul. Warszawska", "ul. Rzemieślnicza"},
		cities: []city{
			{"Warszawa", 52.2297, 21.0122, "00-###"}, {"Kraków", 50.0647, 19.9450, "30-###"},
			{"Wrocław", 51.1079, 17.0385, "50-###"}, {"Poznań", 52.4064, 16.9252, "60-###"},
			{"Gdańsk", 54.3520, 18.6466, "80-###"}, {"Łódź", 51.7592, 19.4560, "90-###"},
			{"Zakopane", 49.2992, 19.9496, "34-500"}, {"Rzeszów", 50.0412, 21.9991, "35-###"},
			{"Olsztyn", 53.7784, 20.4801, "10-###"},
		}},
	"GB": {country: "United Kingdom", tld: "co.uk", phone: "+44 %### ######", numberFirst: true, letters: "ABDEFGHJLNPQRSTUWXYZ",
		streets: []string{"High Street", "Station Road", "Mill Lane", "Riverside Industrial Estate", "Church Road", "Victoria Road"},
		cities: []city{
			{"London", 51.5074, -0.1278, "SE% #@@"}, {"Manchester", 53.4808, -2.2426, "M% #@@"},
			{"Birmingham", 52.4862, -1.8904, "B% #@@"}, {"Leeds", 53.8008, -1.5491, "LS% #@@"},
			{"Glasgow", 55.8642, -4.2518, "G% #@@"}, {"Edinburgh", 55.9533, -3.1883, "EH% #@@"},
			{"Bristol", 51.4545, -2.5879, "BS% #@@"}, {"Inverness", 57.4778, -4.2247, "IV% #@@"},
			{"Cardiff", 51.4816, -3.1791, "CF% #@@"}, {"Kendal", 54.3280, -2.7463, "LA9 #@@"},
			{"Sheffield", 53.3811, -1.4701, "S% #@@"},
		}},
	"IE": {country: "Ireland", tld: "ie", phone: "+353 %# ### ####", numberFirst: true, letters: "ACDEFHKNPRTVWXY",
		streets: []string{"Main Street", "Station Road", "Industrial Estate", "Church Street", "Bridge Street"},
		cities: []city{
			{"Dublin", 53.3498, -6.2603, "D0% @###"}, {"Cork", 51.8985, -8.4756, "T12 @###"},
			{"Galway", 53.2707, -9.0568, "H91 @###"}, {"Limerick", 52.6638, -8.6267, "V94 @###"},
			{"Waterford", 52.2593, -7.1101, "X91 @###"}, {"Sligo", 54.2766, -8.4761, "F91 @###"},
			{"Kilkenny", 52.6541, -7.2448, "R95 @###"},
		}},
}
