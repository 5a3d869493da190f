/**
 * The search-quality catalog: two plans written for judging search, not generated. The Arabic plan
 * has titles the way Memora's Arabic curriculum writes them: with the article and proclitics
 * (و، ب، ل، ف، وال، بال، لل), some with diacritics, hamza forms, ة and ى, singular and plural
 * forms, and confusable words: `الأول` in unit and lesson titles beside the topic `المول` (whose
 * lessons do not all say `المول`), the unit `الخوارزميات وحل المشكلات` beside lessons titled
 * `خوارزميات` in a topic that is not, `المعادلات` in mathematics and chemistry, `البيان`
 * (rhetoric) beside `البيانات` (data). The English plan has singular and plural titles. Subject, unit and topic names are
 * chosen so that each query of queries.ts has one defensible set of expected lessons.
 *
 * `qualityCatalogDocs()` gives the raw Frappe documents the build reads (generation 002, every
 * field and link set), written through the test fixture helper.
 */
import type { CacheDocs } from '../../src/content/cache.ts';
import { fixture, type SubjectSpec } from '../fixtures.ts';

type LessonRow = readonly [id: string, title: string];
interface TopicDef { id: string; title: string; lessons: readonly LessonRow[] }
interface UnitDef { id: string; title: string; topics: readonly TopicDef[] }
interface TrackDef { id: string; title: string; units: readonly UnitDef[] }
interface SubjectDef { id: string; title: string; color: string; tracks: readonly TrackDef[] }
interface PlanDef { id: string; title: string; grade: string; subjects: readonly SubjectDef[] }

export const QUALITY_PLANS = { ar: 'sq-plan-ar', en: 'sq-plan-en' } as const;
export type QualityPlan = keyof typeof QUALITY_PLANS;

const ARABIC: readonly SubjectDef[] = [
  {
    id: 'ar-math',
    title: 'الرياضيات',
    color: '#2b6cb0',
    tracks: [
      {
        id: 'ar-math-tr',
        title: 'رياضيات الصف الثامن',
        units: [
          {
            id: 'ar-math-u1',
            title: 'الفصل الأول: الأعداد النسبية',
            topics: [
              {
                id: 'ar-frac',
                title: 'الكُسور',
                lessons: [
                  ['ar-frac-1', 'مفهوم الكَسْر وتمثيله'],
                  ['ar-frac-2', 'جمع الكسور وطرحها'],
                  ['ar-frac-3', 'ضرب الكسور وقسمتها'],
                  ['ar-frac-4', 'الكسور العشرية والنسبة المئوية'],
                ],
              },
              {
                id: 'ar-int',
                title: 'الأعداد الصحيحة',
                lessons: [
                  ['ar-int-1', 'الأعداد الصحيحة على خط الأعداد'],
                  ['ar-int-2', 'جمع الأعداد الصحيحة وطرحها'],
                  ['ar-int-3', 'القيمة المطلقة للعدد'],
                  ['ar-int-4', 'مقارنة الأعداد وترتيبها'],
                ],
              },
              {
                id: 'ar-prime',
                title: 'الأعداد الأولية',
                lessons: [
                  ['ar-prime-1', 'الأعداد الأولية والأعداد غير الأولية'],
                  ['ar-prime-2', 'التحليل إلى العوامل الأولية'],
                  ['ar-prime-3', 'القاسم المشترك الأكبر'],
                  ['ar-prime-4', 'المضاعف المشترك الأصغر'],
                ],
              },
            ],
          },
          {
            id: 'ar-math-u2',
            title: 'الفصل الثاني: الجبر',
            topics: [
              {
                id: 'ar-var',
                title: 'المتغيرات والعبارات الجبرية',
                lessons: [
                  ['ar-var-1', 'المتغيِّر والثابت'],
                  ['ar-var-2', 'كتابة العبارات الجبرية'],
                  ['ar-var-3', 'تبسيط العبارات الجبرية'],
                ],
              },
              {
                id: 'ar-eq',
                title: 'المعادلات',
                lessons: [
                  ['ar-eq-1', 'حل المعادلات بخطوة واحدة'],
                  ['ar-eq-2', 'حل المعادلات بخطوتين'],
                  ['ar-eq-3', 'معادلات الدرجة الأولى بمتغير واحد'],
                  ['ar-eq-4', 'المتباينات الخطية'],
                ],
              },
              {
                id: 'ar-func',
                title: 'الدوال والتمثيل البياني',
                lessons: [
                  ['ar-func-1', 'مفهوم الدالة'],
                  ['ar-func-2', 'الدالة الخطية وميلها'],
                  ['ar-func-3', 'جدول قيم الدالة'],
                  ['ar-func-4', 'المستوى الإحداثي'],
                ],
              },
            ],
          },
          {
            id: 'ar-math-u3',
            title: 'الفصل الثالث: الهندسة والقياس',
            topics: [
              {
                id: 'ar-area',
                title: 'المساحة والمحيط',
                lessons: [
                  ['ar-area-1', 'مساحة المستطيل والمربع'],
                  ['ar-area-2', 'مساحة المثلث'],
                  ['ar-area-3', 'مساحة الدائرة ومحيطها'],
                  ['ar-area-4', 'مساحة متوازي الأضلاع وشبه المنحرف'],
                ],
              },
              {
                id: 'ar-angle',
                title: 'الزوايا والمثلثات',
                lessons: [
                  ['ar-angle-1', 'أنواع الزوايا'],
                  ['ar-angle-2', 'مجموع زوايا المثلث'],
                  ['ar-angle-3', 'نظرية فيثاغورس'],
                ],
              },
              {
                id: 'ar-stat',
                title: 'الإحصاء والاحتمالات',
                lessons: [
                  ['ar-stat-1', 'جمع البيانات وتنظيمها'],
                  ['ar-stat-2', 'المتوسط الحسابي والوسيط والمنوال'],
                  ['ar-stat-3', 'الاحتمال البسيط'],
                ],
              },
            ],
          },
        ],
      },
    ],
  },
  {
    id: 'ar-sci',
    title: 'العلوم',
    color: '#2f855a',
    tracks: [
      {
        id: 'ar-sci-tr',
        title: 'علوم الصف الثامن',
        units: [
          {
            id: 'ar-sci-u1',
            title: 'الفصل الأول: الخلية والكائنات الحية',
            topics: [
              {
                id: 'ar-cell',
                title: 'الخلية',
                lessons: [
                  ['ar-cell-1', 'الخَلِيَّة وحدة بناء الكائن الحي'],
                  ['ar-cell-2', 'مكونات الخلية النباتية'],
                  ['ar-cell-3', 'مكونات الخلية الحيوانية'],
                  ['ar-cell-4', 'انقسام الخلايا'],
                ],
              },
              {
                id: 'ar-plant',
                title: 'التغذية في النبات',
                lessons: [
                  ['ar-plant-1', 'عملية البناء الضوئي'],
                  ['ar-plant-2', 'امتصاص الماء والأملاح'],
                  ['ar-plant-3', 'النتح والتنفس في النبات'],
                ],
              },
              {
                id: 'ar-body',
                title: 'أجهزة جسم الإنسان',
                lessons: [
                  ['ar-body-1', 'الجهاز الهضمي'],
                  ['ar-body-2', 'الجهاز التنفسي'],
                  ['ar-body-3', 'الجهاز الدوري والدم'],
                ],
              },
            ],
          },
          {
            id: 'ar-sci-u2',
            title: 'الفصل الثاني: المادة وتركيبها',
            topics: [
              {
                id: 'ar-atom',
                title: 'الذَّرَّة',
                lessons: [
                  ['ar-atom-1', 'تركيب الذرة'],
                  ['ar-atom-2', 'النظائر والعدد الذري'],
                  ['ar-atom-3', 'الإلكترونات ومستويات الطاقة'],
                ],
              },
              {
                id: 'ar-mole',
                title: 'المول',
                lessons: [
                  ['ar-mole-1', 'مفهوم المول وعدد أفوجادرو'],
                  ['ar-mole-2', 'الكتلة المولية'],
                  ['ar-mole-3', 'الحسابات الكيميائية في التفاعلات'],
                  ['ar-mole-4', 'التركيز المولاري للمحاليل'],
                ],
              },
              {
                id: 'ar-table',
                title: 'الجدول الدوري',
                lessons: [
                  ['ar-table-1', 'تاريخ الجدول الدوري'],
                  ['ar-table-2', 'المجموعات والدورات في الجدول'],
                  ['ar-table-3', 'الفلزات واللافلزات'],
                ],
              },
              {
                id: 'ar-react',
                title: 'التفاعلات الكيميائية',
                lessons: [
                  ['ar-react-1', 'موازنة المعادلات الكيميائية'],
                  ['ar-react-2', 'أنواع التفاعلات الكيميائية'],
                  ['ar-react-3', 'سرعة التفاعل الكيميائي'],
                ],
              },
            ],
          },
          {
            id: 'ar-sci-u3',
            title: 'الفصل الثالث: الطاقة والحركة',
            topics: [
              {
                id: 'ar-energy',
                title: 'الطاقة وتحولاتها',
                lessons: [
                  ['ar-energy-1', 'صور الطاقة'],
                  ['ar-energy-2', 'قانون حفظ الطاقة'],
                  ['ar-energy-3', 'الطاقة المتجددة'],
                ],
              },
              {
                id: 'ar-motion',
                title: 'القوة والحركة',
                lessons: [
                  ['ar-motion-1', 'السرعة والتسارع'],
                  ['ar-motion-2', 'قانون نيوتن الأول للحركة'],
                  ['ar-motion-3', 'القوى المتوازنة وغير المتوازنة'],
                  ['ar-motion-4', 'قوة الاحتكاك'],
                ],
              },
            ],
          },
        ],
      },
    ],
  },
  {
    id: 'ar-arab',
    title: 'اللغة العربية',
    color: '#c05621',
    tracks: [
      {
        id: 'ar-arab-tr1',
        title: 'النحو والصرف',
        units: [
          {
            id: 'ar-arab-u1',
            title: 'الفصل الأول: الجملة الاسمية',
            topics: [
              {
                id: 'ar-mubtada',
                title: 'المبتدأ والخبر',
                lessons: [
                  ['ar-mubtada-1', 'المُبْتَدَأُ والخَبَرُ'],
                  ['ar-mubtada-2', 'أنواع الخبر'],
                  ['ar-mubtada-3', 'تقديم الخبر على المبتدأ'],
                ],
              },
              {
                id: 'ar-kana',
                title: 'كان وأخواتها',
                lessons: [
                  ['ar-kana-1', 'كانَ وأَخَواتُها: عملها ومعانيها'],
                  ['ar-kana-2', 'اسم كان وخبرها'],
                ],
              },
              {
                id: 'ar-inna',
                title: 'إنّ وأخواتها',
                lessons: [
                  ['ar-inna-1', 'إنَّ وأخواتُها'],
                  ['ar-inna-2', 'كسر همزة إن وفتحها'],
                  ['ar-inna-3', 'لا النافية للجنس'],
                ],
              },
            ],
          },
          {
            id: 'ar-arab-u2',
            title: 'الفصل الثاني: الجملة الفعلية',
            topics: [
              {
                id: 'ar-verb',
                title: 'الفعل وأنواعه',
                lessons: [
                  ['ar-verb-1', 'الفعل الماضي والمضارع والأمر'],
                  ['ar-verb-2', 'الأفعال الخمسة'],
                  ['ar-verb-3', 'إعراب الفعل المضارع'],
                ],
              },
              {
                id: 'ar-subj',
                title: 'الفاعل ونائب الفاعل',
                lessons: [
                  ['ar-subj-1', 'الفاعل وأحكامه'],
                  ['ar-subj-2', 'نائب الفاعل'],
                  ['ar-subj-3', 'الفعل المبني للمجهول'],
                ],
              },
              {
                id: 'ar-obj',
                title: 'المفاعيل',
                lessons: [
                  ['ar-obj-1', 'المفعول به'],
                  ['ar-obj-2', 'المفعول المطلق'],
                  ['ar-obj-3', 'المفعول لأجله'],
                ],
              },
            ],
          },
        ],
      },
      {
        id: 'ar-arab-tr2',
        title: 'البلاغة والأدب',
        units: [
          {
            id: 'ar-arab-u3',
            title: 'الفصل الثالث: البلاغة',
            topics: [
              {
                id: 'ar-bayan',
                title: 'علم البيان',
                lessons: [
                  ['ar-bayan-1', 'التشبيه وأركانه'],
                  ['ar-bayan-2', 'الاستعارة المكنية والتصريحية'],
                  ['ar-bayan-3', 'الكناية'],
                ],
              },
              {
                id: 'ar-badi',
                title: 'علم البديع',
                lessons: [
                  ['ar-badi-1', 'الطباق والمقابلة'],
                  ['ar-badi-2', 'الجناس والسجع'],
                ],
              },
            ],
          },
          {
            id: 'ar-arab-u4',
            title: 'الفصل الرابع: الأدب والنصوص',
            topics: [
              {
                id: 'ar-poetry',
                title: 'الشعر العربي',
                lessons: [
                  ['ar-poetry-1', 'الشعر الجاهلي'],
                  ['ar-poetry-2', 'المعلقات السبع'],
                  ['ar-poetry-3', 'موسيقى الشعر: البحور والقوافي'],
                  ['ar-poetry-4', 'الشعر في العصر العباسي الأول'],
                ],
              },
            ],
          },
        ],
      },
    ],
  },
  {
    id: 'ar-comp',
    title: 'الحاسوب',
    color: '#6b46c1',
    tracks: [
      {
        id: 'ar-comp-tr',
        title: 'الحاسوب والبرمجة',
        units: [
          {
            id: 'ar-comp-u1',
            title: 'الفصل الأول: الخوارزميات وحل المشكلات',
            topics: [
              {
                id: 'ar-algo',
                title: 'مفهوم الخوارزمية',
                lessons: [
                  ['ar-algo-1', 'ما هي الخوارزمية؟'],
                  ['ar-algo-2', 'تمثيل الخوارزميات بالمخططات الانسيابية'],
                ],
              },
              {
                id: 'ar-search',
                title: 'البحث والترتيب',
                lessons: [
                  ['ar-search-1', 'خوارزميات البحث'],
                  ['ar-search-2', 'خوارزميات الترتيب'],
                ],
              },
              {
                id: 'ar-problem',
                title: 'حل المشكلات',
                lessons: [
                  ['ar-problem-1', 'خطوات حل المشكلة'],
                  ['ar-problem-2', 'تحليل المسألة إلى أجزاء'],
                ],
              },
            ],
          },
          {
            id: 'ar-comp-u2',
            title: 'الفصل الثاني: البرمجة بلغة بايثون',
            topics: [
              {
                id: 'ar-pyvar',
                title: 'المتغيرات وأنواع البيانات',
                lessons: [
                  ['ar-pyvar-1', 'تعريف المتغير وإسناد القيم'],
                  ['ar-pyvar-2', 'أنواع البيانات: الأعداد والنصوص'],
                  ['ar-pyvar-3', 'المتغيرات المنطقية'],
                ],
              },
              {
                id: 'ar-cond',
                title: 'الجمل الشرطية',
                lessons: [
                  ['ar-cond-1', 'جملة إذا الشرطية'],
                  ['ar-cond-2', 'الشروط المتداخلة'],
                ],
              },
              {
                id: 'ar-loop',
                title: 'الحلقات التكرارية',
                lessons: [
                  ['ar-loop-1', 'حلقة التكرار المحددة'],
                  ['ar-loop-2', 'حلقة التكرار الشرطية'],
                  ['ar-loop-3', 'القوائم والتكرار عليها'],
                ],
              },
            ],
          },
          {
            id: 'ar-comp-u3',
            title: 'الفصل الثالث: الشبكات والأمن الرقمي',
            topics: [
              {
                id: 'ar-net',
                title: 'شبكات الحاسوب',
                lessons: [
                  ['ar-net-1', 'أنواع الشبكات'],
                  ['ar-net-2', 'الإنترنت وبروتوكولاته'],
                ],
              },
              {
                id: 'ar-sec',
                title: 'الأمن السيبراني',
                lessons: [
                  ['ar-sec-1', 'كلمات المرور الآمنة'],
                  ['ar-sec-2', 'التشفير وحماية البيانات'],
                ],
              },
            ],
          },
        ],
      },
    ],
  },
  {
    id: 'ar-hist',
    title: 'التاريخ',
    color: '#975a16',
    tracks: [
      {
        id: 'ar-hist-tr',
        title: 'تاريخ الوطن العربي والعالم',
        units: [
          {
            id: 'ar-hist-u1',
            title: 'الفصل الأول: الحضارات القديمة',
            topics: [
              {
                id: 'ar-civ',
                title: 'حضارات الشرق القديم',
                lessons: [
                  ['ar-civ-1', 'الحضارة المصرية القديمة'],
                  ['ar-civ-2', 'حضارة بلاد الرافدين'],
                  ['ar-civ-3', 'الفينيقيون والأبجدية'],
                ],
              },
            ],
          },
          {
            id: 'ar-hist-u2',
            title: 'الفصل الثاني: الدولة الإسلامية',
            topics: [
              {
                id: 'ar-rashidun',
                title: 'الخلافة الراشدة',
                lessons: [
                  ['ar-rashidun-1', 'عصر الخلفاء الراشدين'],
                  ['ar-rashidun-2', 'الفتوحات الإسلامية'],
                ],
              },
              {
                id: 'ar-abbasid',
                title: 'الدولة العباسية',
                lessons: [
                  ['ar-abbasid-1', 'قيام الدولة العباسية'],
                  ['ar-abbasid-2', 'بيت الحكمة في بغداد'],
                  ['ar-abbasid-3', 'العلماء المسلمون وإسهاماتهم'],
                ],
              },
            ],
          },
          {
            id: 'ar-hist-u3',
            title: 'الفصل الثالث: التاريخ الحديث',
            topics: [
              {
                id: 'ar-modern',
                title: 'الوطن العربي في العصر الحديث',
                lessons: [
                  ['ar-modern-1', 'الدولة العثمانية'],
                  ['ar-modern-2', 'الحرب العالمية الأولى'],
                  ['ar-modern-3', 'حركات الاستقلال العربية'],
                ],
              },
            ],
          },
        ],
      },
    ],
  },
];

const ENGLISH: readonly SubjectDef[] = [
  {
    id: 'en-math',
    title: 'Mathematics',
    color: '#2b6cb0',
    tracks: [
      {
        id: 'en-math-tr',
        title: 'Grade 8 Mathematics',
        units: [
          {
            id: 'en-math-u1',
            title: 'Unit 1: Number Sense',
            topics: [
              {
                id: 'en-frac',
                title: 'Fractions',
                lessons: [
                  ['en-frac-1', 'Understanding fractions'],
                  ['en-frac-2', 'Adding and subtracting fractions'],
                  ['en-frac-3', 'Multiplying fractions'],
                  ['en-frac-4', 'Decimals and percentages'],
                ],
              },
              {
                id: 'en-prime',
                title: 'Prime numbers',
                lessons: [
                  ['en-prime-1', 'Prime and composite numbers'],
                  ['en-prime-2', 'Prime factorization'],
                  ['en-prime-3', 'Greatest common factor'],
                ],
              },
            ],
          },
          {
            id: 'en-math-u2',
            title: 'Unit 2: Algebra',
            topics: [
              {
                id: 'en-eq',
                title: 'Linear equations',
                lessons: [
                  ['en-eq-1', 'Solving one-step equations'],
                  ['en-eq-2', 'Solving two-step equations'],
                  ['en-eq-3', 'Systems of linear equations'],
                ],
              },
              {
                id: 'en-func',
                title: 'Functions',
                lessons: [
                  ['en-func-1', 'What is a function?'],
                  ['en-func-2', 'Graphing linear functions'],
                  ['en-func-3', 'Slope and rate of change'],
                ],
              },
            ],
          },
          {
            id: 'en-math-u3',
            title: 'Unit 3: Geometry',
            topics: [
              {
                id: 'en-area',
                title: 'Area and perimeter',
                lessons: [
                  ['en-area-1', 'Area of a circle'],
                  ['en-area-2', 'Area of triangles'],
                  ['en-area-3', 'Perimeter of polygons'],
                ],
              },
              {
                id: 'en-angle',
                title: 'Angles',
                lessons: [
                  ['en-angle-1', 'Types of angles'],
                  ['en-angle-2', 'The Pythagorean theorem'],
                ],
              },
            ],
          },
        ],
      },
    ],
  },
  {
    id: 'en-sci',
    title: 'Science',
    color: '#2f855a',
    tracks: [
      {
        id: 'en-sci-tr',
        title: 'Grade 8 Science',
        units: [
          {
            id: 'en-sci-u1',
            title: 'Unit 1: Life Science',
            topics: [
              {
                id: 'en-cell',
                title: 'Cells',
                lessons: [
                  ['en-cell-1', 'The cell: the unit of life'],
                  ['en-cell-2', 'Plant and animal cells'],
                  ['en-cell-3', 'Cell division'],
                ],
              },
              {
                id: 'en-photo',
                title: 'Plant nutrition',
                lessons: [
                  ['en-photo-1', 'Photosynthesis'],
                  ['en-photo-2', 'How roots absorb water'],
                ],
              },
            ],
          },
          {
            id: 'en-sci-u2',
            title: 'Unit 2: Matter',
            topics: [
              {
                id: 'en-atom',
                title: 'Atoms and molecules',
                lessons: [
                  ['en-atom-1', 'Structure of the atom'],
                  ['en-atom-2', 'Isotopes'],
                  ['en-atom-3', 'Molecules and compounds'],
                ],
              },
              {
                id: 'en-mole',
                title: 'The mole',
                lessons: [
                  ['en-mole-1', "The mole and Avogadro's number"],
                  ['en-mole-2', 'Molar mass'],
                ],
              },
              {
                id: 'en-periodic',
                title: 'The periodic table',
                lessons: [
                  ['en-periodic-1', 'History of the periodic table'],
                  ['en-periodic-2', 'Metals and nonmetals'],
                ],
              },
            ],
          },
          {
            id: 'en-sci-u3',
            title: 'Unit 3: Forces and Energy',
            topics: [
              {
                id: 'en-force',
                title: 'Forces and motion',
                lessons: [
                  ['en-force-1', 'Speed and acceleration'],
                  ['en-force-2', "Newton's laws of motion"],
                  ['en-force-3', 'Friction'],
                  ['en-force-4', 'Weight and gravity'],
                ],
              },
              {
                id: 'en-energy',
                title: 'Energy',
                lessons: [
                  ['en-energy-1', 'Forms of energy'],
                  ['en-energy-2', 'Renewable energy sources'],
                  ['en-energy-3', 'Light and sound waves'],
                ],
              },
            ],
          },
        ],
      },
    ],
  },
  {
    id: 'en-comp',
    title: 'Computing',
    color: '#6b46c1',
    tracks: [
      {
        id: 'en-comp-tr',
        title: 'Computing and programming',
        units: [
          {
            id: 'en-comp-u1',
            title: 'Unit 1: Algorithms',
            topics: [
              {
                id: 'en-algo',
                title: 'Algorithms and flowcharts',
                lessons: [
                  ['en-algo-1', 'What is an algorithm?'],
                  ['en-algo-2', 'Drawing flowcharts'],
                  ['en-algo-3', 'Searching algorithms'],
                  ['en-algo-4', 'Sorting algorithms'],
                ],
              },
            ],
          },
          {
            id: 'en-comp-u2',
            title: 'Unit 2: Programming in Python',
            topics: [
              {
                id: 'en-py',
                title: 'Variables and data types',
                lessons: [
                  ['en-py-1', 'Variables and assignment'],
                  ['en-py-2', 'Strings and numbers'],
                ],
              },
              {
                id: 'en-loop',
                title: 'Loops and conditions',
                lessons: [
                  ['en-loop-1', 'If statements'],
                  ['en-loop-2', 'For loops'],
                  ['en-loop-3', 'While loops'],
                  ['en-loop-4', 'Lists and iteration'],
                ],
              },
            ],
          },
        ],
      },
    ],
  },
  {
    id: 'en-hist',
    title: 'History',
    color: '#975a16',
    tracks: [
      {
        id: 'en-hist-tr',
        title: 'World History',
        units: [
          {
            id: 'en-hist-u1',
            title: 'Unit 1: Ancient Civilizations',
            topics: [
              {
                id: 'en-civ',
                title: 'Early civilizations',
                lessons: [
                  ['en-civ-1', 'Ancient Egypt'],
                  ['en-civ-2', 'Mesopotamia'],
                  ['en-civ-3', 'The Phoenicians and the alphabet'],
                ],
              },
            ],
          },
          {
            id: 'en-hist-u2',
            title: 'Unit 2: The Modern World',
            topics: [
              {
                id: 'en-war',
                title: 'World wars',
                lessons: [
                  ['en-war-1', 'Causes of the First World War'],
                  ['en-war-2', 'The Second World War'],
                ],
              },
              {
                id: 'en-indep',
                title: 'Independence movements',
                lessons: [
                  ['en-indep-1', 'Decolonization in Africa'],
                  ['en-indep-2', 'Independence movements in the Arab world'],
                ],
              },
            ],
          },
        ],
      },
    ],
  },
];

const PLANS: Record<QualityPlan, PlanDef> = {
  ar: { id: QUALITY_PLANS.ar, title: 'الصف الثامن - المنهج العربي', grade: 'الثامن', subjects: ARABIC },
  en: { id: QUALITY_PLANS.en, title: 'Grade 8 - English curriculum', grade: 'Grade 8', subjects: ENGLISH },
};

/** One lesson of the catalog with where it sits. */
export interface QualityLesson {
  id: string;
  title: string;
  plan: QualityPlan;
  subjectId: string;
  unitId: string;
  topicId: string;
  /** The names of its topic, unit and subject, as the catalog writes them. */
  topicName: string;
  unitName: string;
  subjectName: string;
}

/** Every lesson, by ID, in catalog order. */
export function qualityLessons(): Map<string, QualityLesson> {
  const lessons = new Map<string, QualityLesson>();
  for (const [plan, def] of Object.entries(PLANS) as [QualityPlan, PlanDef][])
    for (const s of def.subjects)
      for (const tr of s.tracks)
        for (const u of tr.units)
          for (const t of u.topics)
            for (const [id, title] of t.lessons) lessons.set(id, { id, title, plan, subjectId: s.id, unitId: u.id, topicId: t.id, topicName: t.title, unitName: u.title, subjectName: s.title });
  return lessons;
}

/** The fields of a content node that the catalog leaves at their defaults. */
const NODE = { description: null, image: null, is_published: 1, is_free_preview: 0 } as const;

function subjectSpec(s: SubjectDef, sortOrder: number): SubjectSpec {
  return {
    name: s.id,
    title: s.title,
    ...NODE,
    color_code: s.color,
    is_public: 1,
    required_item: null,
    sort_order: sortOrder,
    tracks: s.tracks.map((tr, ti) => ({
      name: tr.id,
      title: tr.title,
      ...NODE,
      is_sold_separately: 0,
      required_item: null,
      parent_item_required: 0,
      sort_order: ti + 1,
      units: tr.units.map((u, ui) => ({
        name: u.id,
        title: u.title,
        ...NODE,
        badge_image: null,
        sort_order: ui + 1,
        topics: u.topics.map((t, pi) => ({
          name: t.id,
          title: t.title,
          ...NODE,
          sort_order: pi + 1,
          lessons: t.lessons.map(([id, title], li) => ({
            name: id,
            title,
            ...NODE,
            sort_order: li + 1,
            stages: [{ title, type: 'Text', config: JSON.stringify({ body: title }) }],
          })),
        })),
      })),
    })),
  };
}

/** The catalog as the content cache holds it: the raw documents the build reads. */
export function qualityCatalogDocs(): CacheDocs {
  const plans = Object.values(PLANS);
  return fixture({
    plans: plans.map((p) => ({ name: p.id, title: p.title, season: '2025-2026', stream: 'General', grade: p.grade, subjects: p.subjects.map((s) => s.id) })),
    subjects: plans.flatMap((p) => p.subjects.map((s, i) => subjectSpec(s, i + 1))),
  });
}
