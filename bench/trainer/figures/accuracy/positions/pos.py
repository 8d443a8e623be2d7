import csv,collections,sys
# pos.py A B: R@10 and MRR of run A against run B by session position (test events)
A=list(csv.DictReader(open(sys.argv[1]+'/events.test.csv'))); B=list(csv.DictReader(open(sys.argv[2]+'/events.test.csv')))
agg=collections.defaultdict(lambda:[0,0,0,0,0])
for a,b in zip(A,B):
    assert a['event']==b['event'] and a['user']==b['user']
    pos=min(int(a['session_position']),5)
    for key in [pos,'>=2' if pos>=2 else '<2','all']:
        g=agg[key]; ra=int(a['rank']); rb=int(b['rank'])
        g[0]+=1; g[1]+=ra<=10; g[2]+=rb<=10; g[3]+=1/ra; g[4]+=1/rb
for k in [0,1,2,3,4,5,'<2','>=2','all']:
    n,a10,b10,am,bm=agg[k]; print('pos %-4s n %6d  R@10 %.4f %.4f (%+.4f)  MRR %.4f %.4f (%+.4f)'%(k,n,a10/n,b10/n,(a10-b10)/n,am/n,bm/n,(am-bm)/n))
